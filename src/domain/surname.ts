/**
 * THE rule for matching a person by surname, wherever someone types it (France Services counter,
 * professional portal, secure messaging, opposition by phone): one normalisation, so every door
 * agrees. Case, accents, ligatures («Cœur» = «Coeur», «Æ» = «AE», «ß» = «ss»), spaces, hyphens,
 * apostrophes and dots do not matter; letters of any script are kept.
 */

// Letters that Unicode does not decompose into a base letter plus accents.
const FOLDED: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', ł: 'l', đ: 'd', ı: 'i' }

/** «  N'Diaye-Müller » → «ndiayemuller», «Cœur» → «coeur». */
export function normaliseSurname(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøłđı]/g, (c) => FOLDED[c])
    .replace(/[^\p{L}\p{N}]/gu, '')
}

/** True when the surname typed is the one on file (an empty surname never matches). */
export function sameSurname(typed: string, onFile: string): boolean {
  const a = normaliseSurname(typed)
  return a.length > 0 && a === normaliseSurname(onFile)
}
