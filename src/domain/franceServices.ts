import { maskEmail, maskPhone } from './otp'
import { SPACE_STATE_LABELS, canOppose, oppositionDeadline, type SpaceState } from './lifecycle'

/**
 * France Services assisted mode (SPEC §11): pure rules. The agent identifies a citizen by NIR, date of
 * birth and surname, and sees only the administrative status of the space, never health data and
 * never contact details in full.
 */

/** Idle limit of an assisted session at a counter. */
export const ASSISTED_IDLE_MS = 5 * 60 * 1000
/** How long an identified citizen stays selected on the agent's screen. */
export const IDENTIFIED_TTL_MS = 20 * 60 * 1000

/** The line the citizen reads in their history for every action an agent took. */
export function agentActionLabel(organisation: string): string {
  return `Action réalisée par un conseiller France Services (${organisation})`
}

export interface StatusFacts {
  state: SpaceState
  notified_at: Date | string | null
  notice_channel: string | null
  email: string | null
  mobile: string | null
  hasAccount: boolean
  /** The expiry of the active provisional code, if one is active. */
  activeCodeUntil: Date | null
}

export interface StatusView {
  state: SpaceState
  stateLabel: string
  noticeDate: Date | null
  deadline: Date | null
  deadlinePassed: boolean
  codeValidUntil: Date | null
  noticeChannel: string
  maskedEmail: string | null
  maskedMobile: string | null
  can: { oppose: boolean; close: boolean; newCode: boolean }
}

const CHANNELS: Record<string, string> = { email: 'Par courriel', post: 'Par courrier postal', counter: 'Au guichet' }

/** What the agent may see and do for a space. */
export function statusView(f: StatusFacts, now: Date = new Date()): StatusView {
  const deadline = f.notified_at ? oppositionDeadline(f.notified_at) : null
  return {
    state: f.state,
    stateLabel: SPACE_STATE_LABELS[f.state],
    noticeDate: f.notified_at ? new Date(f.notified_at) : null,
    deadline,
    deadlinePassed: deadline ? now.getTime() >= deadline.getTime() : false,
    codeValidUntil: f.activeCodeUntil && f.activeCodeUntil.getTime() > now.getTime() ? f.activeCodeUntil : null,
    noticeChannel: f.notice_channel ? (CHANNELS[f.notice_channel] ?? 'Inconnu') : 'Pas encore informée',
    maskedEmail: f.email ? maskEmail(f.email) : null,
    maskedMobile: f.mobile ? maskPhone(f.mobile) : null,
    can: {
      oppose: canOppose(f, now).ok,
      close: f.state === 'activated' || f.state === 'auto_created',
      newCode: !f.hasAccount && (f.state === 'notified' || f.state === 'opposed' || f.state === 'auto_created'),
    },
  }
}
