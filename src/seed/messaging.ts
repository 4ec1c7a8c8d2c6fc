import type { Knex } from 'knex'
import { newDataKey, seal } from '../infrastructure/crypto'
import type { SeedContext, SeedStep } from './demo'

const MINUTE = 60 * 1000
const DAY = 24 * 60 * MINUTE

async function conversation(
  trx: Knex.Transaction,
  ctx: SeedContext,
  c: {
    person: string
    professional: string
    subject: string
    daysAgo: number
    closed?: { reason: string; daysAgo: number }
    messages: { from: 'pro' | 'patient'; daysAgo: number; body: string; read: boolean }[]
  },
): Promise<string> {
  const { key, wrapped } = newDataKey(ctx.documentMasterKey)
  const at = (n: number) => new Date(ctx.now.getTime() - n * DAY)
  const pro = await trx('professionals')
    .where({ id: ctx.professionals[c.professional] })
    .first<{ title: string | null; first_name: string; last_name: string }>('title', 'first_name', 'last_name')
  const person = await trx('insured_persons')
    .where({ id: ctx.persons[c.person] })
    .first<{ first_names: string; last_name: string }>('first_names', 'last_name')
  const last = Math.min(...c.messages.map((m) => m.daysAgo))
  const [row] = await trx('conversations')
    .insert({
      person_id: ctx.persons[c.person],
      professional_id: ctx.professionals[c.professional],
      subject_sealed: seal(key, c.subject),
      wrapped_key: wrapped,
      status: c.closed ? 'closed' : 'open',
      closed_at: c.closed ? at(c.closed.daysAgo) : null,
      close_reason: c.closed?.reason ?? null,
      created_at: at(c.daysAgo),
      last_message_at: at(last),
    })
    .returning<{ id: string }[]>('id')
  for (const m of c.messages) {
    await trx('messages').insert({
      conversation_id: row.id,
      author_side: m.from === 'pro' ? 'professional' : 'patient',
      author_account_id: m.from === 'pro' ? ctx.accounts[c.professional] : ctx.accounts[c.person],
      author_name:
        m.from === 'pro'
          ? `${pro.title ? `${pro.title} ` : ''}${pro.first_name} ${pro.last_name}`
          : `${person.first_names} ${person.last_name}`,
      body_sealed: seal(key, m.body),
      created_at: at(m.daysAgo),
      read_at: m.read ? new Date(at(m.daysAgo).getTime() + 30 * MINUTE) : null,
    })
  }
  return row.id
}

/** SPEC §13: Camille has a conversation with Dr Haddad (2 messages, one unread) and a closed one with Dr Bernard. */
export const messagingSeed: SeedStep = async (trx, ctx) => {
  await conversation(trx, ctx, {
    person: 'camille',
    professional: 'haddad',
    subject: 'Résultats de votre holter',
    daysAgo: 6,
    messages: [
      {
        from: 'pro',
        daysAgo: 6,
        read: true,
        body: 'Bonjour Madame Martin,\n\nJe vous confirme le rendez-vous pour la pose du holter ECG mardi prochain à 9 h, au service de cardiologie.\n\nDr Haddad',
      },
      {
        from: 'pro',
        daysAgo: 1,
        read: false,
        body: 'Bonjour,\n\nLes résultats de votre holter sont normaux : aucun trouble du rythme. Nous en reparlerons lors de votre prochaine consultation.\n\nBien cordialement,\nDr Haddad',
      },
    ],
  })
  await conversation(trx, ctx, {
    person: 'camille',
    professional: 'bernard',
    subject: 'Renouvellement de votre ordonnance',
    daysAgo: 50,
    closed: { reason: 'Votre ordonnance est renouvelée. Pour un nouveau problème, prenez rendez-vous au cabinet.', daysAgo: 44 },
    messages: [
      {
        from: 'pro',
        daysAgo: 50,
        read: true,
        body: "Bonjour,\n\nVotre ordonnance arrive à son terme. Souhaitez-vous que je la renouvelle à l'identique ?\n\nDr Bernard",
      },
      {
        from: 'patient',
        daysAgo: 49,
        read: true,
        body: 'Bonjour Docteur,\n\nOui, merci beaucoup. La tension est stable.\n\nCamille Martin',
      },
    ],
  })
}
