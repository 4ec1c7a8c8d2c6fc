import type { Knex } from 'knex'

/** The SQL of the activation that is not the space's (spaces/repository.ts) or a lookup of accounts (account/repository.ts). */
export const activationRepository = {
  /** Creates the holder's patient account, e-mail verified, terms accepted; its id. */
  async insertPatientAccount(
    trx: Knex.Transaction,
    a: {
      login: string
      passwordHash: string
      personId: string
      displayName: string
      email: string
      mobile: string | null
      termsVersion: string
      at: Date
    },
  ): Promise<string> {
    const [account] = await trx('accounts')
      .insert({
        kind: 'patient',
        login: a.login,
        password_hash: a.passwordHash,
        person_id: a.personId,
        display_name: a.displayName,
        email: a.email,
        email_verified_at: a.at,
        mobile: a.mobile,
        password_changed_at: a.at,
        terms_accepted_at: a.at,
        terms_version: a.termsVersion,
        last_signin_at: a.at,
      })
      .returning<{ id: string }[]>('id')
    return account.id
  },
}
