import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { CODE_VALIDITY_DAYS, codeMatches, formatCode, generateCode, hashCode } from '../../domain/provisionalCode'
import { frenchDate } from '../../domain/parisTime'
import { seal } from '../../infrastructure/crypto'
import type { Notifier, OutgoingEmail } from '../../infrastructure/notifier'
import type { ActivityLog } from '../history/activity'
import { lettersRepository } from '../back-office/lettersRepository'
import { codesRepository as repo } from './repository'

const DAY = 24 * 60 * 60 * 1000
/** A new code cannot be requested twice within 30 seconds (SPEC §2). */
export const NEW_CODE_MIN_INTERVAL_MS = 30 * 1000

export interface PersonForCode {
  id: string
  first_names: string
  last_name: string
  email: string | null
  address_line1: string | null
  address_line2: string | null
  postcode: string | null
  city: string | null
}

// A campaign's batch shares one expiry date: formatted once, not once per e-mail.
let lastDate: { time: number; text: string } | undefined
function longDate(d: Date): string {
  if (lastDate?.time !== d.getTime()) lastDate = { time: d.getTime(), text: frenchDate(d) }
  return lastDate.text
}

const CODE_EMAIL_SUBJECT = 'Votre code provisoire Mon espace santé'

function provisionalCodeText(name: string, formattedCode: string, until: string, publicUrl: string): string {
  return [
    `Bonjour ${name},`,
    '',
    `Voici votre code provisoire : ${formattedCode}`,
    `Il est valable jusqu'au ${until} et ne sert qu'une fois. Il remplace tout code reçu auparavant.`,
    '',
    `Pour activer votre profil ou vous opposer à sa création : ${publicUrl}`,
    '',
    "Ne communiquez ce code à personne. Besoin d'aide ? Appelez le 3422.",
    '',
    'Mon espace santé – Assurance Maladie',
  ].join('\n')
}

/** The e-mail that carries a provisional code (one at a time here, in bulk in the notification campaign). */
export function provisionalCodeEmail(
  person: Pick<PersonForCode, 'first_names' | 'last_name' | 'email'>,
  code: string,
  expiresAt: Date,
  publicUrl: string,
): OutgoingEmail {
  return {
    to: person.email!,
    kind: 'provisional-code',
    subject: CODE_EMAIL_SUBJECT,
    text: provisionalCodeText(`${person.first_names} ${person.last_name}`, formatCode(code), longDate(expiresAt), publicUrl),
  }
}

/**
 * The same e-mail for a whole campaign batch, cut around what changes from one person to the next:
 * `parts[0] + name + parts[1] + code + parts[2]` (the name as «Prénoms Nom», the code as
 * `formatCode` writes it) is exactly `provisionalCodeEmail`'s text. The database puts the pieces
 * together, so the batch does not carry 10,000 full texts from Node to the server.
 */
export function provisionalCodeEmailTemplate(
  expiresAt: Date,
  publicUrl: string,
): { kind: string; subject: string; parts: [string, string, string] } {
  const text = provisionalCodeText('\u0001', '\u0002', longDate(expiresAt), publicUrl)
  // eslint-disable-next-line no-control-regex -- control characters are what this expression looks for
  const [before, between, after, ...more] = text.split(/[\u0001\u0002]/)
  if (after === undefined || more.length || text.indexOf('\u0001') > text.indexOf('\u0002'))
    throw new Error('modèle de courriel du code provisoire inattendu')
  return { kind: 'provisional-code', subject: CODE_EMAIL_SUBJECT, parts: [before, between, after] }
}

/** The postal address kept with a letter (as it was when the letter was queued). */
export function letterAddress(
  person: Pick<PersonForCode, 'first_names' | 'last_name' | 'address_line1' | 'address_line2' | 'postcode' | 'city'>,
) {
  return {
    name: `${person.first_names} ${person.last_name}`,
    line1: person.address_line1,
    line2: person.address_line2,
    postcode: person.postcode,
    city: person.city,
  }
}

export type IssueResult = { ok: true; channel: 'email' | 'post' | 'sms'; expiresAt: Date } | { ok: false; reason: 'too_soon' }

/**
 * Provisional codes: issued one at a time here (a request online or at a counter, a young adult at 18);
 * the notification campaign issues them in bulk with the same rules. A new code voids the previous one.
 * The code goes to the e-mail address on file, or by post (a letter queued for the print house).
 */
export function createCodeService(deps: {
  notifier: Notifier
  activity: ActivityLog
  codeKey: Buffer
  masterKey: Buffer
  publicUrl: string
}) {
  const { notifier, activity, codeKey, masterKey } = deps

  /** Voids the person's code still in force (a new code, or an opposition recorded without it). */
  async function voidActive(trx: Knex.Transaction, personId: string, now: Date = new Date()): Promise<void> {
    await repo.voidActive(trx, personId, now)
  }

  async function issue(
    trx: Knex.Transaction,
    person: PersonForCode,
    actor: Actor,
    opts: { reason: string; now?: Date; sms?: string } = { reason: 'request' },
  ): Promise<IssueResult> {
    const now = opts.now ?? new Date()
    // Serialise requests for one person (two clicks at once must not both pass the 30-second rule).
    await repo.lockPerson(trx, person.id)
    const last = await repo.lastIssuedAt(trx, person.id)
    if (last && now.getTime() - last.getTime() < NEW_CODE_MIN_INTERVAL_MS) return { ok: false, reason: 'too_soon' }
    await voidActive(trx, person.id, now)
    const code = generateCode()
    const expiresAt = new Date(now.getTime() + CODE_VALIDITY_DAYS * DAY)
    // By SMS only to a mobile number checked on the spot by a France Services agent (a person without e-mail).
    const channel = opts.sms && !person.email ? 'sms' : person.email ? 'email' : 'post'
    await repo.insert(trx, { personId: person.id, codeHash: hashCode(codeKey, code), channel, createdAt: now, expiresAt })
    if (channel === 'email') {
      await notifier.email(trx, provisionalCodeEmail(person, code, expiresAt, deps.publicUrl))
    } else if (channel === 'sms') {
      await notifier.sms(trx, {
        to: opts.sms!,
        kind: 'provisional-code',
        text: `Mon espace santé : votre code provisoire est ${formatCode(code)}, valable jusqu'au ${longDate(expiresAt)}. Ne le donnez à personne, pas même à un conseiller.`,
      })
    } else {
      const payload = seal(masterKey, JSON.stringify({ code, expiresAt: expiresAt.toISOString() }))
      await lettersRepository.queue(trx, person.id, 'provisional_code', letterAddress(person), payload)
    }
    await activity.record(trx, actor, {
      action: 'code.issued',
      subjectPersonId: person.id,
      objectType: 'provisional_code',
      details: { channel, reason: opts.reason },
    })
    return { ok: true, channel, expiresAt }
  }

  /**
   * Checks a typed code against the person's active code (constant-time). Does not consume it:
   * the journey consumes it with `consume` in the transaction that changes the space.
   */
  async function check(
    trx: Knex | Knex.Transaction,
    personId: string,
    typed: string,
    now = new Date(),
  ): Promise<'valid' | 'expired' | 'used' | 'wrong'> {
    const codes = await repo.latestForPerson(trx, personId)
    for (const c of codes) {
      if (!codeMatches(codeKey, typed, c.code_hash)) continue
      if (c.used_at) return 'used'
      if (c.voided_at) return 'expired'
      if (new Date(c.expires_at).getTime() < now.getTime()) return 'expired'
      return 'valid'
    }
    return 'wrong'
  }

  /**
   * Like `check`, and also says which code matched (its row id): a journey in several steps keeps the
   * id, never the code, and consumes it at the end with `consumeById`.
   */
  async function find(
    trx: Knex | Knex.Transaction,
    personId: string,
    typed: string,
    now = new Date(),
  ): Promise<{ status: 'valid' | 'expired' | 'used'; id: number } | { status: 'wrong' }> {
    const codes = await repo.latestForPerson(trx, personId)
    for (const c of codes) {
      if (!codeMatches(codeKey, typed, c.code_hash)) continue
      if (c.used_at) return { status: 'used', id: c.id }
      if (c.voided_at || new Date(c.expires_at).getTime() < now.getTime()) return { status: 'expired', id: c.id }
      return { status: 'valid', id: c.id }
    }
    return { status: 'wrong' }
  }

  /** Consumes a code found earlier, if it is still active (not used, voided by a newer code, or expired). */
  async function consumeById(trx: Knex.Transaction, personId: string, id: number): Promise<boolean> {
    return repo.markUsed(trx, personId, id, true)
  }

  async function consume(trx: Knex.Transaction, personId: string, typed: string): Promise<boolean> {
    const active = await repo.activeForPersonForUpdate(trx, personId)
    const match = active.find((c) => codeMatches(codeKey, typed, c.code_hash))
    if (!match) return false
    return repo.markUsed(trx, personId, match.id, false)
  }

  return { issue, check, consume, find, consumeById, voidActive }
}

export type CodeService = ReturnType<typeof createCodeService>
