import 'express-session'
import type { AccountKind, Actor } from '../domain/actor'
import type { SavedFormRef } from '../middleware/savedForms'

declare module 'express-session' {
  /**
   * The data of journeys in several steps, by journey name. Each feature declares its own journeys
   * beside its routes (`declare module 'express-session' { interface Journeys { … } }`), so that a
   * journey is read back with its type and no cast. What the session store gives back is JSON: dates
   * are ISO strings, never `Date`. `setJourney` (src/middleware/journeys.ts) keeps or ends one.
   */
  interface Journeys {
    /** Where to go after signing in: the page asked for before it, and the kind of account it needs (src/middleware/auth.ts). */
    returnTo?: { url: string; kind: AccountKind }
  }
  interface SessionData {
    /** Set at sign-in (after the second factor). */
    auth?: {
      accountId: string
      kind: 'patient' | 'professional' | 'agent' | 'operator'
      signedInAt: number
      /** The person whose space a patient account is looking at (a child, a helped person). */
      actingPersonId?: string
    }
    /** Last request, for the idle limit checked on the server (the cookie's is only a hint). */
    lastSeenAt?: number
    /** A shorter idle limit (assisted sessions at a counter: 5 minutes). */
    idleLimitMs?: number
    /** One message shown on the next page. */
    flash?: { type: 'success' | 'info'; text: string }
    /** Data of the journeys in several steps (see `Journeys` above). */
    journeys?: Journeys
    /** Set when the session is an assisted one at a France Services counter. */
    assisted?: {
      agentAccountId: string
      organisation: string
      /** The citizen the agent identified before handing the computer over (the journeys start with them). */
      person?: { id: string; name: string }
      /**
       * The agent's own sign-in, paused while the citizen uses the computer: it resumes on this computer
       * when the assisted session ends (never readable by the citizen: sessions live on the server).
       */
      agent?: { signedInAt: number; identified?: Journeys['franceServices'] }
    }
    /** Set when an assisted session has just ended: the agent's sign-in resumes on the next page. */
    agentResume?: { accountId: string; signedInAt: number; lastSeenAt: number; identified?: Journeys['franceServices'] }
    userAgent?: string
    ip?: string
    /** A form sent after the idle limit, kept sealed until its owner signs in again (src/middleware/savedForms.ts). */
    savedForm?: SavedFormRef
  }
}

declare global {
  namespace Express {
    interface Request {
      actor?: Actor
      id: string | number | object
    }
    interface Locals {
      /** The FHIR API's request id (src/features/fhir/api.ts), for its log lines. */
      requestId?: string
    }
  }
}
