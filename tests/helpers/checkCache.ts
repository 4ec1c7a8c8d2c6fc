import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { RUN_ENV } from './env'

/**
 * The page checks (html-validate, axe-core) give the same answer for the same input: many journeys
 * pass the same pages (the sign-in page, a form shown again with the same error), so an answer is
 * kept by a hash of exactly what the check reads, in memory and in the run's folder (shared by the
 * files and workers of one run, removed at its end). A page that differs in any way is checked again.
 */
const memory = new Map<string, Promise<unknown>>()

/**
 * What varies from one response to the next without changing what a check can find: the CSRF token
 * (a hidden field's value) and the CSP nonce, replaced by a placeholder of the same kind (base64url
 * characters) for the key only. The check itself always runs on the real page.
 */
export function stableHtml(html: string): string {
  return html.replace(/(name="_csrf" value=")[A-Za-z0-9+/=_-]*(")/g, '$1jeton$2').replace(/(\snonce=")[A-Za-z0-9+/=_-]*(")/g, '$1nonce$2')
}

export function hashOf(...parts: string[]): string {
  const h = crypto.createHash('sha256')
  for (const p of parts) h.update(String(p.length)).update(':').update(p)
  return h.digest('hex')
}

export async function cachedCheck<T>(kind: string, key: string, run: () => Promise<T>): Promise<T> {
  const id = `${kind}/${key}`
  const known = memory.get(id)
  if (known) return known as Promise<T>
  const dir = process.env[RUN_ENV.dir]
  const file = dir ? path.join(dir, kind, `${key}.json`) : undefined
  const answer = (async () => {
    if (file) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as T
      } catch {
        /* not checked yet in this run */
      }
    }
    const result = await run()
    if (file) {
      // Written whole, then renamed: another worker never reads half an answer.
      fs.mkdirSync(path.dirname(file), { recursive: true })
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`
      fs.writeFileSync(tmp, JSON.stringify(result))
      fs.renameSync(tmp, file)
    }
    return result
  })()
  memory.set(id, answer)
  // A check that failed to run (a closed page) is not remembered.
  answer.catch(() => memory.delete(id))
  return answer
}
