/** RPPS numbers: 11 digits, the last one a Luhn check digit. */
export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

export type RppsResult = { ok: true; rpps: string } | { ok: false; message: string }

export function validateRpps(input: string | undefined | null): RppsResult {
  const v = (input ?? '').replace(/\s/g, '')
  if (!v) return { ok: false, message: 'Saisissez votre numéro RPPS' }
  if (!/^\d{11}$/.test(v)) return { ok: false, message: 'Le numéro RPPS contient 11 chiffres' }
  if (!luhnValid(v)) return { ok: false, message: "Le numéro RPPS n'est pas valide : vérifiez le dernier chiffre" }
  return { ok: true, rpps: v }
}
