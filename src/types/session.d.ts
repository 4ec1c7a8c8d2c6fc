import 'express-session'
import type { Actor } from '../domain/actor'
import type { SavedFormRef } from '../middleware/savedForms'

declare module 'express-session' {
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
    /** Data of a journey in several steps, by journey name. */
    journeys?: Record<string, Record<string, unknown>>
    /** Set when the session is an assisted one at a France Services counter. */
    assisted?: { agentAccountId: string; organisation: string }
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
  }
}
