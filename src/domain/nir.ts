/**
 * The NIR (numéro d'inscription au répertoire, «numéro de sécurité sociale»): 13 characters and a
 * 2-digit key. key = 97 − (number mod 97); for Corsica, 2A counts as 19 and 2B as 18 in the number.
 */
export type NirResult = { ok: true; nir: string } | { ok: false; message: string }

export function normaliseNir(input: string): string {
  return input.replace(/[\s.\-_]/g, '').toUpperCase()
}

export function nirKey(first13: string): number {
  const numeric = first13.replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118')
  // 13 digits < 2^53: exact in a double, no BigInt needed (called once per line of a million-line import).
  return 97 - (Number(numeric) % 97)
}

/** '268037505612363' → '2 68 03 75 056 123 63' (as printed on the carte Vitale). */
export function formatNir(nir: string): string {
  const n = normaliseNir(nir)
  return `${n[0]} ${n.slice(1, 3)} ${n.slice(3, 5)} ${n.slice(5, 7)} ${n.slice(7, 10)} ${n.slice(10, 13)} ${n.slice(13, 15)}`
}

/** The NIR with only its key shown: for screens where the person is identified but the NIR need not be read. */
export function maskNir(nir: string): string {
  const n = normaliseNir(nir)
  return `${n[0]} •• •• •• ••• ••• ${n.slice(13, 15)}`
}

const month = (m: number) => (m >= 1 && m <= 12) || (m >= 20 && m <= 42) || (m >= 50 && m <= 99)

/**
 * `number`: how the messages name the number, the reader's own by default; someone else's as the form speaks of
 * them («son numéro de sécurité sociale» for the person helped at the counter, «le numéro de sécurité sociale du
 * patient»…) rather than «votre numéro».
 */
export function validateNir(input: string | undefined | null, number = 'votre numéro de sécurité sociale'): NirResult {
  const ofNumber = number.startsWith('le ') ? `du ${number.slice(3)}` : `de ${number}`
  const raw = (input ?? '').trim()
  if (!raw) return { ok: false, message: `Saisissez ${number}` }
  const n = normaliseNir(raw)
  if (!/^[0-9AB]+$/.test(n)) {
    return { ok: false, message: 'Le numéro de sécurité sociale ne doit contenir que des chiffres (et 2A ou 2B pour la Corse)' }
  }
  if (n.length !== 15) {
    return {
      ok: false,
      message: `Le numéro de sécurité sociale doit contenir 15 caractères, clé comprise (vous en avez saisi ${n.length})`,
    }
  }
  if (!/^[12]$/.test(n[0])) {
    return { ok: false, message: 'Le numéro de sécurité sociale doit commencer par 1 ou 2' }
  }
  if (!/^\d{2}$/.test(n.slice(1, 3))) return { ok: false, message: "L'année de naissance du numéro de sécurité sociale n'est pas valide" }
  if (!/^\d{2}$/.test(n.slice(3, 5)) || !month(Number(n.slice(3, 5)))) {
    return { ok: false, message: "Le mois de naissance du numéro de sécurité sociale n'est pas valide (4e et 5e chiffres)" }
  }
  const dept = n.slice(5, 7)
  if (!/^(0[1-9]|1\d|2[AB1-9]|[3-8]\d|9[0-9])$/.test(dept) || dept === '20' || dept === '96') {
    return { ok: false, message: "Le département de naissance du numéro de sécurité sociale n'est pas valide (6e et 7e caractères)" }
  }
  if (!/^\d{8}$/.test(n.slice(7, 15))) {
    return { ok: false, message: 'Le numéro de sécurité sociale ne doit contenir que des chiffres après le département' }
  }
  if (/^0+$/.test(n.slice(10, 13))) return { ok: false, message: "Le numéro d'ordre du numéro de sécurité sociale n'est pas valide" }
  const key = Number(n.slice(13, 15))
  if (key < 1 || key > 97 || nirKey(n.slice(0, 13)) !== key) {
    return { ok: false, message: `La clé ${ofNumber} ne correspond pas` }
  }
  return { ok: true, nir: n }
}

/** Whether a NIR is consistent with a date of birth (year and month, when the month is a real one). */
export function nirMatchesBirthDate(nir: string, birthDate: string): boolean {
  const n = normaliseNir(nir)
  const yy = n.slice(1, 3)
  const mm = Number(n.slice(3, 5))
  if (birthDate.slice(2, 4) !== yy) return false
  return mm > 12 || Number(birthDate.slice(5, 7)) === mm
}
