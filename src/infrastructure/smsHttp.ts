import { errorCode, errorMessage, errorName } from '../errors'
import { isRecord } from '../validation'
import type { SmsAdapter } from './notifier'

/**
 * SMS through a provider's HTTP API: one `POST <url>` per message, a JSON body `{ "to": "+33612345678",
 * "text": "…" }`, `Authorization: Bearer <token>` when a token is set. Any 2xx answer means accepted;
 * anything else (or no answer within the time limit) throws, and the outbox tries again later.
 * Most providers take this shape directly, or through a small relay that maps it to theirs.
 * Neither the number nor the text is ever put in an error message (they end up in the log).
 */
export function createHttpSms(opts: { url: string; token?: string; timeoutMs?: number }): SmsAdapter {
  return {
    async send(to, text) {
      let res: Response
      try {
        res = await fetch(opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          },
          body: JSON.stringify({ to: internationalNumber(to), text }),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10000),
        })
      } catch (err) {
        const cause = isRecord(err) ? err.cause : undefined
        const reason =
          errorName(err) === 'TimeoutError' ? 'pas de réponse à temps' : (errorCode(cause) ?? errorMessage(cause) ?? errorName(err))
        throw new Error(`fournisseur de SMS injoignable (${reason})`)
      }
      await res.body?.cancel().catch(() => undefined)
      if (!res.ok) throw new Error(`le fournisseur de SMS a répondu ${res.status}`)
    },
  }
}

/** A French mobile number as stored (06 12 34 56 78) in international form (+33612345678); others unchanged. */
export function internationalNumber(n: string): string {
  const digits = n.replace(/[\s.-]/g, '')
  if (/^0[1-9]\d{8}$/.test(digits)) return `+33${digits.slice(1)}`
  if (/^0033\d{9}$/.test(digits)) return `+${digits.slice(2)}`
  return digits
}
