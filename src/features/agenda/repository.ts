import type { Knex } from 'knex'
import type { PreventionRecord } from '../../domain/prevention'

export interface EventRow {
  id: string
  person_id: string
  title: string
  date: string
  time: string | null
  place: string | null
  professional: string | null
  notes: string | null
  status: string
  prevention_rule: string | null
  created_at: Date
  updated_at: Date
}

export interface ReminderRow {
  id: number
  event_id: string
  account_id: string
  remind_on: string
  kind: 'veille' | 'date'
  sent_at: Date | null
}

export interface EventFields {
  title: string
  date: string
  time: string | null
  place: string | null
  professional: string | null
  notes: string | null
  status?: string
  prevention_rule?: string | null
}

/** SQL only: agenda events, reminders, calendar links, prevention notices. */
export const agendaRepository = {
  list(db: Knex, personId: string): Promise<EventRow[]> {
    return db('agenda_events')
      .where({ person_id: personId })
      .orderBy([{ column: 'date' }, { column: 'time', nulls: 'first' }, { column: 'created_at' }])
  },

  async find(db: Knex, personId: string, id: string, opts: { lock?: boolean } = {}): Promise<EventRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined
    const q = db<EventRow>('agenda_events').where({ id, person_id: personId }).first()
    if (opts.lock) q.forUpdate()
    return q
  },

  async insert(trx: Knex.Transaction, personId: string, accountId: string, f: EventFields): Promise<string> {
    const [row] = await trx('agenda_events')
      .insert({ person_id: personId, created_by_account_id: accountId, ...f })
      .returning<{ id: string }[]>('id')
    return row.id
  },

  async update(trx: Knex.Transaction, id: string, f: Partial<EventFields>): Promise<void> {
    await trx('agenda_events')
      .where({ id })
      .update({ ...f, updated_at: trx.fn.now() })
  },

  reminders(db: Knex, eventId: string): Promise<ReminderRow[]> {
    return db('agenda_reminders').where({ event_id: eventId }).orderBy('remind_on')
  },

  async addReminder(trx: Knex.Transaction, r: { event_id: string; account_id: string; remind_on: string; kind: string }): Promise<void> {
    await trx('agenda_reminders').insert(r)
  },

  async deleteReminder(trx: Knex.Transaction, eventId: string, id: number): Promise<number> {
    return trx('agenda_reminders').where({ event_id: eventId, id }).whereNull('sent_at').del()
  },

  /** Pending reminders of an event are dropped when it is cancelled. */
  async deletePendingReminders(trx: Knex.Transaction, eventId: string): Promise<void> {
    await trx('agenda_reminders').where({ event_id: eventId }).whereNull('sent_at').del()
  },

  /** Honoured and booked appointments: they fulfil or plan a recommendation (src/domain/prevention/acts.ts). */
  /** What the recommendations and the calendar need of the person (undefined when the person does not exist). */
  person(db: Knex, personId: string): Promise<{ birth_date: string; sex: 'F' | 'M'; first_names: string; last_name: string } | undefined> {
    return db('insured_persons').where({ id: personId }).first('birth_date', 'sex', 'first_names', 'last_name')
  },

  preventionEvents(db: Knex, personId: string): Promise<{ prevention_rule: string | null; title: string; status: string; date: string }[]> {
    return db('agenda_events')
      .where({ person_id: personId })
      .whereIn('status', ['honore', 'confirme'])
      .select('prevention_rule', 'title', 'status', 'date')
  },

  links(db: Knex, personId: string, accountId: string) {
    return db('calendar_links').where({ person_id: personId, account_id: accountId }).whereNull('revoked_at').orderBy('created_at', 'desc')
  },

  async insertLink(
    trx: Knex.Transaction,
    l: { person_id: string; account_id: string; token_hash: string; detail: string },
  ): Promise<string> {
    const [row] = await trx('calendar_links').insert(l).returning<{ id: string }[]>('id')
    return row.id
  },

  async revokeLink(trx: Knex.Transaction, personId: string, accountId: string, id: string): Promise<number> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return 0
    return trx('calendar_links')
      .where({ id, person_id: personId, account_id: accountId })
      .whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now() })
  },

  /** The link of a token, only while neither revoked nor the space closed nor the account disabled. */
  linkByHash(db: Knex, tokenHash: string): Promise<{ person_id: string; detail: 'minimal' | 'titles' } | undefined> {
    return (
      db('calendar_links as l')
        .join('spaces as s', 's.person_id', 'l.person_id')
        .join('accounts as a', 'a.id', 'l.account_id')
        .where('l.token_hash', tokenHash)
        .whereNull('l.revoked_at')
        .whereNull('a.disabled_at')
        .whereNot('s.state', 'closed')
        // Only while the account still holds the space or represents the child.
        .where(
          (q) =>
            void q.whereRaw('a.person_id = l.person_id').orWhereExists(function () {
              this.from('representatives as r')
                .whereRaw('r.child_person_id = l.person_id AND r.representative_person_id = a.person_id')
                .whereNull('r.ended_at')
            }),
        )
        .first('l.person_id', 'l.detail')
    )
  },

  /**
   * One batch of due reminders, set-based: claims them (SKIP LOCKED, so two workers never take the
   * same one), marks them sent and writes their e-mails into the outbox, in one statement.
   * The e-mail says only the date and time; the title, place and notes stay on the site.
   */
  async sendDueReminders(
    trx: Knex.Transaction,
    today: string,
    batch: number,
    status: 'pending' | 'kept',
    signInUrl: string,
  ): Promise<number> {
    const { rows } = await trx.raw<{ rows: { claimed: number }[] }>(
      `WITH due AS (
         SELECT r.id FROM agenda_reminders r
          WHERE r.sent_at IS NULL AND r.remind_on <= ?
          ORDER BY r.remind_on, r.id LIMIT ? FOR UPDATE SKIP LOCKED
       ), sent AS (
         UPDATE agenda_reminders r SET sent_at = now() FROM due WHERE r.id = due.id
         RETURNING r.id, r.event_id, r.account_id
       ), mails AS (
         INSERT INTO outbox (channel, kind, recipient, subject, body, status)
         SELECT 'email', 'agenda-reminder', a.email, 'Rappel : un rendez-vous dans votre agenda Mon espace santé',
                'Bonjour,' || chr(10) || chr(10) ||
                'Vous avez demandé un rappel : un rendez-vous est inscrit dans votre agenda Mon espace santé le ' ||
                to_char(e.date, 'DD/MM/YYYY') || COALESCE(' à ' || replace(e.time, ':', ' h '), '') || '.' || chr(10) ||
                'Connectez-vous pour en voir le détail : ' || ? || chr(10) || chr(10) || 'Mon espace santé – Assurance Maladie',
                ?
           FROM sent JOIN agenda_events e ON e.id = sent.event_id JOIN accounts a ON a.id = sent.account_id
                JOIN spaces s ON s.person_id = e.person_id
          WHERE a.email IS NOT NULL AND a.disabled_at IS NULL AND e.status <> 'annule' AND s.state <> 'closed'
            AND (a.person_id = e.person_id OR EXISTS (SELECT 1 FROM representatives r WHERE r.child_person_id = e.person_id
                 AND r.representative_person_id = a.person_id AND r.ended_at IS NULL))
         RETURNING id
       )
       SELECT (SELECT count(*) FROM sent)::int AS claimed, (SELECT count(*) FROM mails)::int AS mailed`,
      [today, batch, signInUrl, status],
    )
    return rows[0].claimed
  },

  /**
   * One keyset page of activated spaces (after `after`, at most `batch`): the page's keys from the
   * spaces' primary key alone (an index range scan, whatever the table's size), then its people,
   * accounts and prevention records (vaccinations, honoured acts) by their keys, in the same round
   * trip: every page costs the same.
   */
  async preventionPage(db: Knex, after: string, batch: number): Promise<PreventionPerson[]> {
    const { rows } = await db.raw<{ rows: PreventionPerson[] }>(
      `WITH page AS (
       SELECT person_id FROM spaces WHERE state = 'activated' AND person_id > ? ORDER BY person_id LIMIT ?
     )
     SELECT p.id, p.birth_date, p.sex, a.email, a.notification_prefs, a.notify_new_signin,
            (SELECT json_agg(r) FROM (
               SELECT v.vaccine AS code, v.date FROM vaccinations v WHERE v.person_id = page.person_id
            ) r) AS records,
            (SELECT json_agg(r) FROM (
               SELECT b.care_date AS date, b.act AS label, b.act_code AS code FROM reimbursements b
                WHERE b.person_id = page.person_id
            ) r) AS acts,
            (SELECT json_agg(r) FROM (
               SELECT e.date, e.title, e.status, e.prevention_rule FROM agenda_events e
                WHERE e.person_id = page.person_id AND e.status IN ('honore', 'confirme')
            ) r) AS events
       FROM page JOIN insured_persons p ON p.id = page.person_id
       LEFT JOIN accounts a ON a.person_id = page.person_id AND a.kind = 'patient' AND a.disabled_at IS NULL
      ORDER BY page.person_id`,
      [after, batch],
    )
    return rows
  },

  /** The active legal representatives of these children who have an e-mail, with their notification choices. */
  activeRepresentativeRecipients(
    db: Knex,
    childPersonIds: string[],
  ): Promise<{ child_person_id: string; email: string; notification_prefs: Record<string, unknown> | null; notify_new_signin: boolean }[]> {
    return db('representatives as r')
      .join('accounts as ra', function () {
        this.on('ra.person_id', '=', 'r.representative_person_id').andOnVal('ra.kind', '=', 'patient').andOnNull('ra.disabled_at')
      })
      .whereNull('r.ended_at')
      .whereNotNull('ra.email')
      .whereIn('r.child_person_id', childPersonIds)
      .select('r.child_person_id', 'ra.email', 'ra.notification_prefs', 'ra.notify_new_signin')
  },

  /**
   * Records the new prevention notices (ON CONFLICT DO NOTHING: once per person, rule and window) and
   * queues one e-mail per recipient of a person with a new notice, in one statement (arrays through unnest).
   */
  async recordPreventionNotices(
    trx: Knex.Transaction,
    a: {
      notices: { personIds: string[]; ruleIds: string[]; windowsFrom: string[] }
      recipients: { personIds: string[]; emails: string[]; representative: boolean[] }
      link: string
      outboxStatus: string
    },
  ): Promise<{ notices: number; emails: number }> {
    const { rows } = await trx.raw<{ rows: { notices: number; emails: number }[] }>(
      `WITH fresh AS (
           INSERT INTO prevention_notices (person_id, rule_id, window_from)
           SELECT * FROM unnest(?::uuid[], ?::text[], ?::date[])
           ON CONFLICT DO NOTHING RETURNING person_id
         ), told AS (
           SELECT DISTINCT t.email, t.representative
             FROM unnest(?::uuid[], ?::text[], ?::boolean[]) AS t(person_id, email, representative)
            WHERE t.person_id IN (SELECT person_id FROM fresh)
         ), mails AS (
           INSERT INTO outbox (channel, kind, recipient, subject, body, status)
           SELECT 'email', CASE WHEN representative THEN 'prevention-due-representative' ELSE 'prevention-due' END, email,
                  'Un rappel de prévention dans Mon espace santé',
                  'Bonjour,' || chr(10) || chr(10) ||
                  CASE WHEN representative
                    THEN 'Un vaccin ou un examen recommandé est à prévoir pour un enfant dont vous êtes représentant légal.' || chr(10) ||
                         'Connectez-vous, choisissez son profil avec « Changer de profil », puis voyez-le et ajoutez-le à son agenda : '
                    ELSE 'Un vaccin ou un examen de dépistage recommandé pour vous est à prévoir.' || chr(10) ||
                         'Connectez-vous pour le voir et l''ajouter à votre agenda : ' END || ? || chr(10) || chr(10) ||
                  'Vous pouvez arrêter ces courriels dans Mon compte, rubrique Notifications.' || chr(10) || chr(10) ||
                  'Mon espace santé – Assurance Maladie', ?
             FROM told
           RETURNING id
         )
         SELECT (SELECT count(*) FROM fresh)::int AS notices, (SELECT count(*) FROM mails)::int AS emails`,
      [
        a.notices.personIds,
        a.notices.ruleIds,
        a.notices.windowsFrom,
        a.recipients.personIds,
        a.recipients.emails,
        a.recipients.representative,
        a.link,
        a.outboxStatus,
      ],
    )
    return rows[0]
  },
}

/** A person of a prevention page, with what their recommendations are computed from. */
export interface PreventionPerson {
  id: string
  birth_date: string
  sex: string
  email: string | null
  notification_prefs: Record<string, unknown> | null
  notify_new_signin: boolean
  records: PreventionRecord[] | null
  acts: { date: string; label: string; code: string | null }[] | null
  events: { date: string; title: string; status: string; prevention_rule: string | null }[] | null
}
