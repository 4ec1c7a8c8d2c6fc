/**
 * French elision, for names and words put into sentences: «le profil d'Inès» but «le profil de Léo»,
 * «l'enfant» but «le dossier». A first name that begins with a vowel or a mute h elides the
 * preposition «de» and the article «le» (names with an aspirated h, rare, are not told apart).
 */
const ELIDING = /^[aeiouyhàâäæéèêëîïôöœùûüÿ]/i

/** True when «de» or «le» before this word becomes «d'» or «l'». */
export function elides(word: string): boolean {
  return ELIDING.test(word.trim())
}

/** «de Léo», «d'Inès», «d'Hélène Faure». */
export function de(word: string): string {
  const w = word.trim()
  return elides(w) ? `d'${w}` : `de ${w}`
}

/** «le dossier», «l'enfant». */
export function le(word: string): string {
  const w = word.trim()
  return elides(w) ? `l'${w}` : `le ${w}`
}

/** «Né le» / «Née le», from the person's sex as the registry records it (F or M); «Né(e) le» when unknown. */
export function bornOn(sex: string | null | undefined): string {
  return sex === 'F' ? 'Née le' : sex === 'M' ? 'Né le' : 'Né(e) le'
}
