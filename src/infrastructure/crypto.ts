import crypto from 'node:crypto'

/**
 * AES-256-GCM, the one cipher of the service. Small secrets (a provisional code waiting for the
 * print house) are sealed with the master key; documents get a data key each, wrapped by it.
 * Format of a sealed value: version (1 byte) | iv (12) | tag (16) | ciphertext.
 */
const VERSION = 1

export function seal(key: Buffer, plaintext: Buffer | string): Buffer {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body])
}

export function open(key: Buffer, sealed: Buffer): Buffer {
  if (sealed[0] !== VERSION) throw new Error('format chiffré inconnu')
  const iv = sealed.subarray(1, 13)
  const tag = sealed.subarray(13, 29)
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()])
}

/** A fresh 256-bit data key, and the same key wrapped (sealed) by the master key for storage. */
export function newDataKey(masterKey: Buffer): { key: Buffer; wrapped: Buffer } {
  const key = crypto.randomBytes(32)
  return { key, wrapped: seal(masterKey, key) }
}

export function unwrapDataKey(masterKey: Buffer, wrapped: Buffer): Buffer {
  return open(masterKey, wrapped)
}
