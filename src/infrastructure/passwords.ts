import { hash, verify } from '@node-rs/argon2'

/** argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). */
// algorithm 2 = Argon2id (a const enum, written as its value for isolated modules)
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), OPTIONS)
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password.normalize('NFC'))
  } catch {
    return false
  }
}

/** A hash to verify against when the account does not exist, so both answers take as long. */
let dummy: Promise<string> | undefined
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('mot de passe factice pour égaliser le temps de réponse')
  return dummy
}
