import type { Knex } from 'knex'
import type { AccountKind, Actor } from '../../domain/actor'
import { OTP_MAX_ATTEMPTS, OTP_VALIDITY_MS, generateOtp, hashOtp, maskEmail, maskPhone, otpMatches } from '../../domain/otp'
import { TooManyRequestsError } from '../../errors'
import type { Notifier } from '../../infrastructure/notifier'
import { dummyHash, verifyPassword } from '../../infrastructure/passwords'
import type { LimiterFactory, ThrottleFactory } from '../../infrastructure/rateLimit'
import type { ActivityLog } from '../history/activity'
import { accountRepository, accountSessionsRepository, otpChallengesRepository, type AccountRow } from './repository'
import { frenchDateTime } from '../../domain/parisTime'

export type StartResult =
  | { ok: true; challengeId: string; accountId: string; sentTo: string }
  | { ok: false; reason: 'credentials' }
  | { ok: false; reason: 'closed'; accountId: string }

export type VerifyResult =
  | { ok: true; accountId: string; kind: AccountKind }
  | { ok: false; reason: 'wrong'; attemptsLeft: number }
  | { ok: false; reason: 'expired' | 'used' | 'exhausted' }

const KIND_LABEL: Record<AccountKind, string> = {
  patient: 'Mon espace santé',
  professional: 'Mon espace santé – espace professionnel',
  agent: 'Mon espace santé – espace France Services',
  operator: 'Mon espace santé – espace Assurance Maladie',
}

/**
 * Sign-in in two steps: identifiant (or RPPS, or agent login) + password, then a 6-digit one-time
 * code sent by SMS when a mobile is on file, by e-mail otherwise. The first step answers the same
 * for an unknown login and a wrong password (and takes as long). Waits per (account, address) and per address.
 */
export function createSignInService(deps: {
  db: Knex
  notifier: Notifier
  activity: ActivityLog
  limiter: LimiterFactory
  throttle: ThrottleFactory
  codeKey: Buffer
  publicUrl: string
}) {
  const { db, notifier, activity, codeKey } = deps
  // Failed attempts slow down, never lock out (ASVS 6.1.1): waits that grow with the failures of one
  // login from one address, and of one address over all logins. Someone else's failures, from
  // elsewhere, never hold the owner back; a France Services counter (many people behind one address)
  // stays far below the address's free failures by its own traffic. A password found by guessing
  // still needs the one-time code sent to the owner.
  const perAccountAddress = deps.throttle('signin-account-address', {
    free: 5,
    firstDelaySeconds: 15,
    maxDelaySeconds: 15 * 60,
    windowSeconds: 24 * 60 * 60,
    message: 'Trop de tentatives de connexion incorrectes pour cet identifiant.',
  })
  const perAddress = deps.throttle('signin-address', {
    free: 100,
    firstDelaySeconds: 5,
    maxDelaySeconds: 15 * 60,
    windowSeconds: 60 * 60,
    message: 'Trop de tentatives de connexion incorrectes depuis cette adresse.',
  })
  const otpSends = deps.limiter('otp-send', {
    points: 5,
    durationSeconds: 15 * 60,
    message: 'Trop de codes de connexion demandés.',
  })

  /**
   * The limit on codes sent is counted before the transaction: without Redis its store is PostgreSQL,
   * through the application's pool — never a second pooled connection while a transaction holds one (issue 20).
   */
  async function sendOtpAlone(account: AccountRow, purpose: string): Promise<{ challengeId: string; sentTo: string }> {
    await otpSends.consume(`${account.id}`)
    return db.transaction((trx) => sendOtp(trx, account, purpose))
  }

  async function sendOtp(trx: Knex.Transaction, account: AccountRow, purpose: string): Promise<{ challengeId: string; sentTo: string }> {
    // A new code voids the previous ones of the same purpose.
    await otpChallengesRepository.voidOpen(trx, account.id, purpose)
    const code = generateOtp()
    const channel = account.mobile ? 'sms' : 'email'
    const challengeId = await otpChallengesRepository.insert(trx, {
      accountId: account.id,
      purpose,
      channel,
      expiresAt: new Date(Date.now() + OTP_VALIDITY_MS),
    })
    await otpChallengesRepository.setCodeHash(trx, challengeId, hashOtp(codeKey, challengeId, code))
    if (channel === 'sms' && account.mobile) {
      await notifier.sms(trx, {
        to: account.mobile,
        kind: 'otp',
        text: `${code} est votre code de connexion à ${KIND_LABEL[account.kind]}. Il est valable 10 minutes. Ne le communiquez à personne.`,
      })
      return { challengeId, sentTo: `au ${maskPhone(account.mobile)}` }
    }
    await notifier.email(trx, {
      to: account.email!,
      kind: 'otp',
      subject: 'Votre code de connexion',
      text: [
        'Bonjour,',
        '',
        `Votre code de connexion à ${KIND_LABEL[account.kind]} est : ${code}`,
        '',
        "Il est valable 10 minutes et ne peut servir qu'une fois.",
        "Ne le communiquez à personne : ni l'Assurance Maladie ni un conseiller ne vous le demandera jamais.",
        '',
        "Si vous n'êtes pas à l'origine de cette demande, changez votre mot de passe.",
        '',
        'Mon espace santé',
      ].join('\n'),
    })
    return { challengeId, sentTo: `à ${maskEmail(account.email!)}` }
  }

  async function consumeChallenge(trx: Knex.Transaction, challengeId: string, purpose: string, code: string): Promise<VerifyResult> {
    const ch = await otpChallengesRepository.findForUpdate(trx, challengeId, purpose)
    if (!ch) return { ok: false, reason: 'expired' }
    if (ch.used_at) return { ok: false, reason: 'used' }
    if (new Date(ch.expires_at).getTime() < Date.now()) return { ok: false, reason: 'expired' }
    if (ch.attempts >= OTP_MAX_ATTEMPTS) return { ok: false, reason: 'exhausted' }
    if (!/^\d{6}$/.test(code) || !otpMatches(codeKey, ch.id, code, ch.code_hash)) {
      const attempts = ch.attempts + 1
      await otpChallengesRepository.setAttempts(trx, ch.id, attempts, attempts >= OTP_MAX_ATTEMPTS)
      return attempts >= OTP_MAX_ATTEMPTS
        ? { ok: false, reason: 'exhausted' }
        : { ok: false, reason: 'wrong', attemptsLeft: OTP_MAX_ATTEMPTS - attempts }
    }
    await otpChallengesRepository.markUsed(trx, ch.id)
    const account = (await accountRepository.kindOf(trx, ch.account_id))!
    return { ok: true, accountId: ch.account_id, kind: account.kind }
  }

  return {
    async start(kind: AccountKind, login: string, password: string, address: string): Promise<StartResult> {
      const normalisedLogin = login.trim().toLowerCase()
      // Brute force: an address, or a login from this address, that must still wait is refused before
      // any check; only failed attempts count (a counter or a family signing in many times from one
      // address is not slowed down by its own successes).
      const accountKey = `${kind}:${normalisedLogin}|${address}`
      await perAddress.check(address)
      await perAccountAddress.check(accountKey)
      const account = await accountRepository.findByLogin(db, kind, normalisedLogin)
      const valid =
        account && !account.disabled_at
          ? await verifyPassword(account.password_hash, password)
          : (await verifyPassword(await dummyHash(), password), false)
      if (!account || !valid) {
        await perAddress.fail(address)
        await perAccountAddress.fail(accountKey)
        return { ok: false, reason: 'credentials' }
      }
      if (kind === 'patient' && account.person_id) {
        const space = await accountRepository.spaceState(db, account.person_id)
        if (space?.state === 'closed') return { ok: false, reason: 'closed', accountId: account.id }
      }
      const sent = await sendOtpAlone(account, 'signin')
      return { ok: true, accountId: account.id, ...sent }
    },

    /** A new code for a sign-in under way (the previous one is voided). */
    async resend(accountId: string): Promise<{ challengeId: string; sentTo: string }> {
      const account = await accountRepository.findById(db, accountId)
      if (!account) throw new TooManyRequestsError('Recommencez la connexion.')
      return sendOtpAlone(account, 'signin')
    },

    /** A one-time code for another purpose than signing in (password reset, reopening): same rules. */
    async sendCode(accountId: string, purpose: 'password_reset' | 'reopen'): Promise<{ challengeId: string; sentTo: string }> {
      const account = await accountRepository.findById(db, accountId)
      if (!account) throw new TooManyRequestsError('Recommencez depuis le début.')
      return sendOtpAlone(account, purpose)
    },

    /** Checks a one-time code of a given purpose, in the caller's transaction; a right code is used up. */
    checkCode: (trx: Knex.Transaction, challengeId: string, purpose: string, code: string) =>
      consumeChallenge(trx, challengeId, purpose, code),

    async verify(challengeId: string, code: string, context: { userAgent?: string; address?: string }): Promise<VerifyResult> {
      const result = await db.transaction(async (trx): Promise<VerifyResult> => {
        const checked = await consumeChallenge(trx, challengeId, 'signin', code)
        if (!checked.ok) return checked
        const account: AccountRow = (await accountRepository.findById(trx, checked.accountId))!
        await accountRepository.touchSignIn(trx, account.id)
        const actor: Actor = {
          accountId: account.id,
          kind: account.kind,
          displayName: account.display_name,
          organisation: account.organisation ?? undefined,
          personId: account.person_id ?? undefined,
        }
        await activity.record(trx, actor, {
          action: 'account.signin',
          subjectPersonId: account.person_id,
          objectType: 'account',
          objectId: account.id,
          details: { device: summariseDevice(context.userAgent) },
        })
        if (account.kind === 'patient' && account.notify_new_signin && account.email) {
          await notifier.email(trx, {
            to: account.email,
            kind: 'new-signin',
            subject: 'Nouvelle connexion à votre profil',
            text: [
              'Bonjour,',
              '',
              `Une connexion à votre profil Mon espace santé a eu lieu le ${frenchDateTime(new Date())} (${summariseDevice(context.userAgent)}).`,
              '',
              "Si c'est bien vous, vous n'avez rien à faire.",
              `Sinon, changez votre mot de passe et déconnectez tous vos appareils depuis « Mon compte » : ${deps.publicUrl}/mon-compte`,
              'Vous pouvez désactiver ces messages dans « Mon compte ».',
              '',
              'Mon espace santé',
            ].join('\n'),
          })
        }
        return { ok: true, accountId: account.id, kind: account.kind }
      })
      // Signed in: the codes sent so far no longer count against the next sign-ins. After the commit:
      // without Redis the limiter's store is PostgreSQL, a second connection (issue 20: never while holding one).
      if (result.ok) await otpSends.reset(`${result.accountId}`)
      return result
    },

    /** Forgets the failed attempts of a login from this address once it succeeded. */
    async clearLimits(kind: AccountKind, login: string, address: string): Promise<void> {
      await perAccountAddress.reset(`${kind}:${login.trim().toLowerCase()}|${address}`)
    },

    async registerSession(accountId: string, sid: string, context: { userAgent?: string; address?: string }): Promise<void> {
      await accountSessionsRepository.register(db, {
        sid,
        accountId,
        userAgent: context.userAgent?.slice(0, 300),
        ip: context.address?.slice(0, 64),
      })
    },

    async forgetSession(sid: string): Promise<void> {
      await accountSessionsRepository.deleteBySid(db, sid)
    },

    async signOut(actor: Actor): Promise<void> {
      await db.transaction(async (trx) => {
        await activity.record(trx, actor, {
          action: 'account.signout',
          subjectPersonId: actor.personId ?? null,
          objectType: 'account',
          objectId: actor.accountId,
        })
        if (actor.sessionId) await accountSessionsRepository.deleteBySid(trx, actor.sessionId)
      })
    },
  }
}

/** A readable name for a browser and system, e.g. «Firefox sur Windows». */
export function summariseDevice(userAgent: string | undefined): string {
  const ua = userAgent ?? ''
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'navigateur inconnu'
  const system = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'système inconnu'
  return `${browser} sur ${system}`
}

export type SignInService = ReturnType<typeof createSignInService>
