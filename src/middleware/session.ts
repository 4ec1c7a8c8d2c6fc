import type { Express, Request, RequestHandler, Response } from 'express'
import session from 'express-session'
import { csrfSync } from 'csrf-sync'
import { ServiceUnavailableError } from '../errors'
import { isRecord } from '../validation'
import { formGate } from './forms'
import { ABSOLUTE_MS, IDLE_MS, type SessionBackend } from '../infrastructure/sessionStore'
import { ASSISTED_IDLE_MS } from '../domain/franceServices'
import { captureForm, SAVED_FORM_TTL_MS, sealForm } from './savedForms'

const SIGN_IN_URL_OF = {
  patient: '/connexion',
  professional: '/pro/connexion',
  agent: '/france-services/connexion',
  operator: '/back-office/connexion',
} as const

export const SESSION_COOKIE = 'mes_session'
/**
 * Over HTTPS (production) the cookie carries the `__Host-` prefix: the browser then only accepts it
 * Secure, for the whole site (Path=/) and from this very host (no Domain): a sibling sub-domain cannot
 * set or overwrite it.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`

export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE
}

/** Forgets the session cookie in the browser (with the attributes it was set with, or a `__Host-` cookie stays). */
export function clearSessionCookie(req: Request, res: Response): void {
  const secure = Boolean(req.app.get('session cookie secure'))
  res.clearCookie(sessionCookieName(secure), { path: '/', httpOnly: true, sameSite: 'lax', secure })
}

/**
 * At sign-out: the browser forgets what it kept of the site (cached pages, cookies, storage), as
 * ASVS asks (`Clear-Site-Data`), besides the session ended on the server.
 */
export function clearSiteData(res: Response): void {
  res.setHeader('Clear-Site-Data', '"cache", "cookies", "storage"')
  res.setHeader('Cache-Control', 'no-store')
}
/** Where an assisted session lands when it ends (at «Terminer» or after 5 minutes idle). */
export const ASSISTED_ENDED_URL = '/session-accompagnee/terminee'

/**
 * Sessions: a non-default cookie name, HttpOnly, SameSite=Lax, Secure in production; 15 minutes idle
 * (cookie and store renewed by a save at most once a minute of activity, never a write per request,
 * and a server-side check), 12 hours absolute. When the store cannot be
 * reached the request answers 503: a page is never served without its session.
 */
export function setUpSession(
  app: Express,
  backend: SessionBackend,
  opts: { secret: string; production: boolean; savedFormKey?: Buffer },
): void {
  app.set('session cookie secure', opts.production)
  const mw = session({
    name: sessionCookieName(opts.production),
    secret: opts.secret,
    store: backend.store,
    resave: false,
    saveUninitialized: false,
    // Not rolling: an unchanged session costs no store write and no Set-Cookie. The idle limit
    // is kept by `lastSeenAt` (written at most once a minute, which also renews the cookie and
    // the store's expiry) and checked on the server below.
    rolling: false,
    unset: 'destroy',
    proxy: undefined,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.production, maxAge: IDLE_MS, path: '/' },
  })
  app.use((req, res, next) => {
    if (!backend.healthy()) return next(new ServiceUnavailableError('Le stockage des sessions est indisponible'))
    mw(req, res, (err?: unknown) => {
      if (err) {
        // The store could not be read: the session is unknown, not absent. Without its id,
        // express-session neither destroys it at the end of this answer (`unset: 'destroy'` would,
        // once the store is back: the person would be signed out by a database blip) nor sends a
        // new cookie. The person gets the 503 page and is still signed in afterwards. (express-session
        // types sessionID as always set: undefined is what it reads as «no session».)
        ;(req as { sessionID?: string }).sessionID = undefined
        return next(new ServiceUnavailableError('Le stockage des sessions est indisponible', err))
      }
      next()
    })
  })
  app.use(saveBeforeRedirect)
  app.use(expireSessions(opts.savedFormKey))
}

/**
 * express-session saves a changed session when the response ends, but it sends the headers first:
 * a browser follows a 303 at once and its next request could read the session as it was before
 * (a sign-in step, a journey's answer lost now and then on a slow store). A redirect therefore
 * waits for the session to be saved. An empty session (a first visit) is not stored.
 */
const saveBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res)
  const redirectWith = (args: [string] | [number, string]) => (args.length === 1 ? redirect(args[0]) : redirect(args[0], args[1]))
  res.redirect = (...args: [string] | [number, string]) => {
    // Always there by express-session's types; checked anyway (a request it did not handle).
    const s: typeof req.session | undefined = req.session
    if (!s || typeof s.save !== 'function' || !Object.keys(s).some((k) => k !== 'cookie')) return redirectWith(args)
    s.save((err) => {
      if (err) return next(new ServiceUnavailableError('Le stockage des sessions est indisponible', err))
      redirectWith(args)
    })
  }
  next()
}

/** Where the warning dialog's «Rester connecté» sends its request (POST, with the CSRF token). */
export const KEEP_ALIVE_URL = '/session/prolonger'
/** The dialog opens this long before the idle limit (WCAG 2.2.1: at least 20 seconds to answer). */
export const WARN_BEFORE_MS = 2 * 60 * 1000

export interface SessionTimeout {
  /** The idle limit of this session, in whole minutes (15, or 5 at a France Services counter). */
  minutes: number
  /** What is left of it now, as the server counts (the script starts its clock from this). */
  remainingMs: number
  warnBeforeMs: number
  assisted: boolean
  keepAliveUrl: string
}

/** The idle limit of this request's session and what is left of it (for the page's statement and the dialog). */
export function sessionTimeoutOf(req: Request, now = Date.now()): SessionTimeout {
  const s = req.session
  const assisted = Boolean(s.assisted)
  const limit = s.idleLimitMs ?? (assisted ? ASSISTED_IDLE_MS : IDLE_MS)
  const remainingMs = Math.max(0, Math.min(limit, (s.lastSeenAt ?? now) + limit - now))
  return { minutes: Math.round(limit / 60_000), remainingMs, warnBeforeMs: WARN_BEFORE_MS, assisted, keepAliveUrl: KEEP_ALIVE_URL }
}

/**
 * Ends a signed-in session that was idle too long or is older than the absolute limit. A form sent
 * with the expired session is not carried out (its token is void), but kept for after the new sign-in
 * (src/middleware/savedForms.ts): the person is sent to sign in again.
 */
const expireSessions =
  (savedFormKey: Buffer | undefined): RequestHandler =>
  (req, res, next) => {
    const s = req.session
    const now = Date.now()
    if (s.assisted) {
      // An assisted session at a France Services counter (SPEC §11): 5 minutes idle, signed in or not,
      // then the session is destroyed (nothing stays on the computer) and the page says so.
      const limit = s.idleLimitMs ?? ASSISTED_IDLE_MS
      const tooOld = s.auth !== undefined && now - s.auth.signedInAt > ABSOLUTE_MS
      if ((s.lastSeenAt !== undefined && now - s.lastSeenAt > limit) || tooOld) {
        // The agent's own sign-in, paused while the citizen had the computer, resumes (issue 16 §4),
        // counted idle from the citizen's last activity; nothing of the citizen's session is kept.
        const paused = s.assisted.agent
        const resume =
          paused && now - paused.signedInAt <= ABSOLUTE_MS
            ? {
                accountId: s.assisted.agentAccountId,
                signedInAt: paused.signedInAt,
                lastSeenAt: s.lastSeenAt ?? now,
                identified: paused.identified,
              }
            : undefined
        const done = (err?: unknown) => {
          if (err) return next(new ServiceUnavailableError('Le stockage des sessions est indisponible', err))
          res.setHeader('Cache-Control', 'no-store')
          res.redirect(303, `${ASSISTED_ENDED_URL}?raison=inactivite`)
        }
        if (!resume) {
          s.destroy((err) => {
            if (!err) clearSessionCookie(req, res)
            done(err)
          })
          return
        }
        s.regenerate((err) => {
          if (!err) req.session.agentResume = resume
          done(err)
        })
        return
      }
      // Every request counts at a counter, and the cookie lives no longer than the idle limit.
      s.lastSeenAt = now
      s.cookie.maxAge = limit
      res.setHeader('Cache-Control', 'no-store')
      return next()
    }
    if (s.auth) {
      const idleLimit = s.idleLimitMs ?? IDLE_MS
      const idle = s.lastSeenAt !== undefined && now - s.lastSeenAt > idleLimit
      const tooOld = now - s.auth.signedInAt > ABSOLUTE_MS
      if (idle || tooOld) {
        const expired = s.auth
        s.regenerate((err) => {
          if (err) return next(new ServiceUnavailableError('Le stockage des sessions est indisponible', err))
          req.session.flash = { type: 'info', text: 'Votre session a expiré. Reconnectez-vous pour continuer.' }
          res.locals.sessionExpired = true
          if (!savedFormKey || req.method === 'GET' || req.method === 'HEAD') return next()
          captureForm(req).then((form) => {
            if (!form) return next()
            req.session.savedForm = {
              accountId: expired.accountId,
              kind: expired.kind,
              actingPersonId: expired.actingPersonId,
              pagePath: form.pagePath,
              until: Date.now() + SAVED_FORM_TTL_MS,
              sealed: sealForm(savedFormKey, form),
            }
            req.session.flash = {
              type: 'info',
              text: 'Votre session a expiré. Reconnectez-vous : vous retrouverez le formulaire que vous envoyiez, rempli avec ce que vous aviez saisi.',
            }
            res.setHeader('Cache-Control', 'no-store')
            res.redirect(303, SIGN_IN_URL_OF[expired.kind])
          }, next)
        })
        return
      }
    }
    // Written at most once a minute, and only for a signed-in session (the one the idle limit is
    // about): in between, an unchanged session costs the store nothing (the stores do not "touch");
    // the save renews the store's expiry and the cookie (15 minutes idle). A session not signed in
    // (a journey under way) is saved only when the journey itself changes: a side request (an icon,
    // a second tab) must never write back an older copy over the step just recorded.
    if (s.auth && (s.lastSeenAt === undefined || now - s.lastSeenAt > 60_000)) s.lastSeenAt = now
    next()
  }

export type Csrf = ReturnType<typeof csrfSync>

/**
 * csrf-sync: the synchroniser token lives in the session (generated from the CSPRNG). It comes back in
 * the `_csrf` field (or the `x-csrf-token` header) and is checked by the form gate
 * (src/middleware/forms.ts), in constant time, for every content type.
 */
export function createCsrf(): Csrf {
  return csrfSync({
    getTokenFromRequest: (req) => {
      const body: unknown = req.body
      const fromBody = isRecord(body) ? body._csrf : undefined
      if (typeof fromBody === 'string') return fromBody
      const header = req.headers['x-csrf-token']
      return typeof header === 'string' ? header : undefined
    },
    errorConfig: { statusCode: 403, message: 'Jeton de sécurité invalide', code: 'EBADCSRFTOKEN' },
  })
}

/**
 * Every state-changing request must carry the token, whatever its content type (the form gate). The
 * token is only created when a page uses it, and a page that holds one is never cached.
 */
export function setUpCsrf(app: Express, csrf: Csrf): void {
  app.use((req, res, next) => {
    // Templates write `{{ csrfToken() }}`: the call creates the token (and the session) on first use.
    res.locals.csrfToken = () => {
      if (!res.headersSent) res.setHeader('Cache-Control', 'no-store')
      return csrf.generateToken(req)
    }
    next()
  })
  app.use(formGate(csrf))
}
