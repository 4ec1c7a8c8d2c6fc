import type { Knex } from 'knex'

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
    const q = db('agenda_events').where({ id, person_id: personId }).first()
    if (opts.lock) q.forUpdate()
    return q
  },

  async insert(trx: Knex.Transaction, personId: string, accountId: string, f: EventFields): Promise<string> {
    const [row] = await trx('agenda_events')
      .insert({ person_id: personId, created_by_account_id: accountId, ...f })
      .returning('id')
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
    const [row] = await trx('calendar_links').insert(l).returning('id')
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
        .where((q) =>
          q.whereRaw('a.person_id = l.person_id').orWhereExists(function () {
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
    const { rows } = await trx.raw(
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
    return rows[0].claimed as number
  },
}
