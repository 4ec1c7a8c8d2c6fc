import type { Knex } from 'knex'
import type { AccountKind } from '../../domain/actor'

export interface AccountRow {
  id: string
  kind: AccountKind
  login: string
  password_hash: string
  person_id: string | null
  professional_id: string | null
  display_name: string
  organisation: string | null
  email: string | null
  email_verified_at: Date | null
  mobile: string | null
  notify_new_signin: boolean
  notification_prefs: Record<string, boolean>
  created_at: Date
  updated_at: Date
  last_signin_at: Date | null
  password_changed_at: Date | null
  disabled_at: Date | null
}

type Db = Knex | Knex.Transaction

/** A one-time code as `otp_challenges` and `email_verifications` keep it (the code itself is never stored). */
interface OneTimeCodeRow {
  id: string
  code_hash: string
  attempts: number
  expires_at: Date
  used_at: Date | null
}

export interface OtpChallengeRow extends OneTimeCodeRow {
  account_id: string
  purpose: string
  channel: 'sms' | 'email'
}

export interface EmailVerificationRow extends OneTimeCodeRow {
  person_id: string
  account_id: string | null
  purpose: 'activation' | 'contact_change'
  email: string
  verified_at: Date | null
}

export interface AccountSessionRow {
  sid: string
  account_id: string
  public_id: string
  user_agent: string | null
  ip: string | null
  created_at: Date
  last_seen_at: Date
}

/** The accounts: SQL only. */
export const accountRepository = {
  findById(db: Db, id: string): Promise<AccountRow | undefined> {
    return db('accounts').where({ id }).first()
  },

  findByLogin(db: Db, kind: AccountKind, login: string): Promise<AccountRow | undefined> {
    return db('accounts').where({ kind, login }).first()
  },

  /** A patient account that is not disabled, by its (normalised) login. */
  findActivePatientByLogin(db: Db, login: string): Promise<AccountRow | undefined> {
    return db('accounts').where({ kind: 'patient', login }).whereNull('disabled_at').first()
  },

  /** The patient accounts, not disabled, that use this contact e-mail address. */
  activePatientLoginsByEmail(db: Db, email: string): Promise<{ login: string; display_name: string }[]> {
    return db('accounts').where({ kind: 'patient', email }).whereNull('disabled_at').select('login', 'display_name')
  },

  kindOf(db: Db, id: string): Promise<{ kind: AccountKind } | undefined> {
    return db('accounts').where({ id }).first('kind')
  },

  async touchSignIn(trx: Knex.Transaction, id: string): Promise<void> {
    await trx('accounts').where({ id }).update({ last_signin_at: trx.fn.now() })
  },

  async setMobile(trx: Knex.Transaction, id: string, mobile: string | null): Promise<void> {
    await trx('accounts').where({ id }).update({ mobile, updated_at: trx.fn.now() })
  },

  /** A verified contact e-mail address (and the mobile typed with it). */
  async setContact(trx: Knex.Transaction, id: string, contact: { email: string; mobile: string | null }): Promise<void> {
    await trx('accounts')
      .where({ id })
      .update({ email: contact.email, email_verified_at: trx.fn.now(), mobile: contact.mobile, updated_at: trx.fn.now() })
  },

  async setPasswordHash(trx: Knex.Transaction, id: string, passwordHash: string): Promise<void> {
    await trx('accounts').where({ id }).update({ password_hash: passwordHash, password_changed_at: trx.fn.now(), updated_at: trx.fn.now() })
  },

  notificationPrefs(
    db: Db,
    id: string,
  ): Promise<{ notification_prefs: Record<string, unknown> | null; notify_new_signin: boolean } | undefined> {
    return db('accounts').where({ id }).first('notification_prefs', 'notify_new_signin')
  },

  async setNotificationPrefs(trx: Knex.Transaction, id: string, prefs: Record<string, boolean>, notifyNewSignin: boolean): Promise<void> {
    await trx('accounts')
      .where({ id })
      .update({ notification_prefs: JSON.stringify(prefs), notify_new_signin: notifyNewSignin, updated_at: trx.fn.now() })
  },

  /** The patient account of a person, not disabled, whose space is not closed: its address and switches. */
  notifiablePatient(
    db: Db,
    personId: string,
  ): Promise<{ email: string | null; notification_prefs: Record<string, unknown> | null; notify_new_signin: boolean } | undefined> {
    return db('accounts as a')
      .join('spaces as s', 's.person_id', 'a.person_id')
      .where({ 'a.person_id': personId, 'a.kind': 'patient' })
      .whereNull('a.disabled_at')
      .whereNot('s.state', 'closed')
      .first('a.email', 'a.notification_prefs', 'a.notify_new_signin')
  },

  /** The active legal representatives of a child with a patient account (not disabled, space not closed), but `except`. */
  notifiableRepresentatives(
    db: Db,
    childPersonId: string,
    except?: string,
  ): Promise<{ email: string | null; notification_prefs: Record<string, unknown> | null; notify_new_signin: boolean | undefined }[]> {
    return db('representatives as r')
      .join('accounts as a', 'a.person_id', 'r.representative_person_id')
      .join('spaces as s', 's.person_id', 'a.person_id')
      .where({ 'r.child_person_id': childPersonId, 'a.kind': 'patient' })
      .whereNull('r.ended_at')
      .whereNull('a.disabled_at')
      .whereNot('s.state', 'closed')
      .modify((q) => void (except && q.whereNot('r.representative_person_id', except)))
      .select('a.email', 'a.notification_prefs', 'a.notify_new_signin')
  },

  /** The state of a person's space (the sign-in refuses a closed one). */
  spaceState(db: Db, personId: string): Promise<{ state: string } | undefined> {
    return db('spaces').where({ person_id: personId }).first('state')
  },
}

/** The sign-in codes (`otp_challenges`): SQL only. */
export const otpChallengesRepository = {
  /** Voids the codes of this purpose not used yet. */
  async voidOpen(trx: Knex.Transaction, accountId: string, purpose: string): Promise<void> {
    await trx('otp_challenges').where({ account_id: accountId, purpose }).whereNull('used_at').update({ used_at: trx.fn.now() })
  },

  /** A new challenge, its hash still to set (it is keyed by the id). */
  async insert(
    trx: Knex.Transaction,
    challenge: { accountId: string; purpose: string; channel: 'sms' | 'email'; expiresAt: Date },
  ): Promise<string> {
    const [row] = await trx('otp_challenges')
      .insert({
        account_id: challenge.accountId,
        purpose: challenge.purpose,
        code_hash: 'pending',
        channel: challenge.channel,
        expires_at: challenge.expiresAt,
      })
      .returning<{ id: string }[]>('id')
    return row.id
  },

  async setCodeHash(trx: Knex.Transaction, id: string, codeHash: string): Promise<void> {
    await trx('otp_challenges').where({ id }).update({ code_hash: codeHash })
  },

  findForUpdate(trx: Knex.Transaction, id: string, purpose: string): Promise<OtpChallengeRow | undefined> {
    return trx('otp_challenges').where({ id, purpose }).forUpdate().first()
  },

  /** A wrong try counted; the code is used up when `exhausted`. */
  async setAttempts(trx: Knex.Transaction, id: string, attempts: number, exhausted: boolean): Promise<void> {
    await trx('otp_challenges')
      .where({ id })
      .update({ attempts, ...(exhausted ? { used_at: trx.fn.now() } : {}) })
  },

  async markUsed(trx: Knex.Transaction, id: string): Promise<void> {
    await trx('otp_challenges').where({ id }).update({ used_at: trx.fn.now() })
  },
}

/** The codes that verify a contact e-mail address (`email_verifications`): SQL only. */
export const emailVerificationsRepository = {
  async voidOpen(trx: Knex.Transaction, personId: string, purpose: EmailVerificationRow['purpose']): Promise<void> {
    await trx('email_verifications').where({ person_id: personId, purpose }).whereNull('used_at').update({ used_at: trx.fn.now() })
  },

  /** A new verification, its hash still to set (it is keyed by the id). */
  async insert(
    trx: Knex.Transaction,
    v: { personId: string; accountId: string | null; purpose: EmailVerificationRow['purpose']; email: string; expiresAt: Date },
  ): Promise<string> {
    const [row] = await trx('email_verifications')
      .insert({
        person_id: v.personId,
        account_id: v.accountId,
        purpose: v.purpose,
        email: v.email,
        code_hash: 'pending',
        expires_at: v.expiresAt,
      })
      .returning<{ id: string }[]>('id')
    return row.id
  },

  async setCodeHash(trx: Knex.Transaction, id: string, codeHash: string): Promise<void> {
    await trx('email_verifications').where({ id }).update({ code_hash: codeHash })
  },

  findForUpdate(trx: Knex.Transaction, id: string, personId: string): Promise<EmailVerificationRow | undefined> {
    return trx('email_verifications').where({ id, person_id: personId }).forUpdate().first()
  },

  /** A wrong try counted; the code is used up when `exhausted`. */
  async setAttempts(trx: Knex.Transaction, id: string, attempts: number, exhausted: boolean): Promise<void> {
    await trx('email_verifications')
      .where({ id })
      .update({ attempts, ...(exhausted ? { used_at: trx.fn.now() } : {}) })
  },

  async markVerified(trx: Knex.Transaction, id: string): Promise<void> {
    await trx('email_verifications').where({ id }).update({ verified_at: trx.fn.now() })
  },

  /** Uses up a verified address; the address, or undefined if it is not verified or already used. */
  async consumeVerified(trx: Knex.Transaction, id: string, personId: string): Promise<string | undefined> {
    const [row] = await trx('email_verifications')
      .where({ id, person_id: personId })
      .whereNotNull('verified_at')
      .whereNull('used_at')
      .update({ used_at: trx.fn.now() })
      .returning<{ email: string }[]>('email')
    return row?.email
  },
}

/** The password reset links (`account_tokens`): SQL only. */
export const accountTokensRepository = {
  /** Voids the links of this purpose not used yet. */
  async voidOpen(trx: Knex.Transaction, accountId: string, purpose: 'password_reset'): Promise<void> {
    await trx('account_tokens').where({ account_id: accountId, purpose }).whereNull('used_at').update({ used_at: trx.fn.now() })
  },

  async insert(
    trx: Knex.Transaction,
    token: { accountId: string; purpose: 'password_reset'; tokenHash: string; expiresAt: Date },
  ): Promise<void> {
    await trx('account_tokens').insert({
      account_id: token.accountId,
      purpose: token.purpose,
      token_hash: token.tokenHash,
      expires_at: token.expiresAt,
    })
  },

  /** Uses up a link that is neither used nor expired; the account it is for, or undefined. */
  async consume(db: Db, tokenHash: string, purpose: 'password_reset'): Promise<string | undefined> {
    const row = await db('account_tokens')
      .where({ token_hash: tokenHash, purpose })
      .whereNull('used_at')
      .where('expires_at', '>', db.fn.now())
      .update({ used_at: db.fn.now() })
      .returning<{ account_id: string }[]>('account_id')
    return row.length ? row[0].account_id : undefined
  },
}

/** The signed-in devices (`account_sessions`, one row per session in the store): SQL only. */
export const accountSessionsRepository = {
  async register(db: Db, session: { sid: string; accountId: string; userAgent?: string; ip?: string }): Promise<void> {
    await db('account_sessions')
      .insert({ sid: session.sid, account_id: session.accountId, user_agent: session.userAgent, ip: session.ip })
      .onConflict('sid')
      .merge()
  },

  async deleteBySid(db: Db, sid: string): Promise<void> {
    await db('account_sessions').where({ sid }).del()
  },

  async deleteBySids(db: Db, sids: string[]): Promise<void> {
    await db('account_sessions').whereIn('sid', sids).del()
  },

  ofAccount(db: Db, accountId: string): Promise<AccountSessionRow[]> {
    return db('account_sessions').where({ account_id: accountId }).orderBy('created_at', 'desc')
  },

  /** The same device under a new session id. */
  async rename(db: Db, oldSid: string, newSid: string): Promise<void> {
    await db('account_sessions').where({ sid: oldSid }).update({ sid: newSid, last_seen_at: db.fn.now() })
  },

  findByPublicId(db: Db, accountId: string, publicId: string): Promise<{ sid: string } | undefined> {
    return db('account_sessions').where({ account_id: accountId, public_id: publicId }).first('sid')
  },

  /** The session ids of an account, but `exceptSid` when given. */
  sidsOf(db: Db, accountId: string, exceptSid?: string): Promise<{ sid: string }[]> {
    const q = db('account_sessions').where({ account_id: accountId })
    if (exceptSid) q.whereNot({ sid: exceptSid })
    return q.select('sid')
  },
}
