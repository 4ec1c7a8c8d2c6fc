import type { Knex } from 'knex'
import { barChart } from '../../domain/barChart'
import { DAY_MS } from '../../domain/lifecycle'
import { isoDate } from '../../domain/parisTime'
import { figuresRepository as repo } from './repository'

export const STATES = ['not_notified', 'notified', 'activated', 'opposed', 'auto_created', 'closed'] as const
export const STATE_LABELS: Record<string, string> = {
  not_notified: 'Pas encore informés',
  notified: 'Informés (délai de 6 semaines en cours)',
  activated: 'Profils activés',
  opposed: 'Oppositions',
  auto_created: 'Profils créés automatiquement',
  closed: 'Profils fermés',
}
export const WINDOW_DAYS = 30

/**
 * «Chiffres»: counts by state and per day, read from two small summary tables that a job refreshes
 * (every 10 minutes, and on demand): the page never scans the spaces table, whatever its size.
 */
export function createFigures(db: Knex) {
  return {
    async refresh(): Promise<{ ms: number }> {
      const started = Date.now()
      const since = isoDate(new Date(Date.now() - (WINDOW_DAYS + 1) * DAY_MS))
      await db.transaction(async (trx) => {
        await repo.refresh(trx, since)
        await repo.saveRefresh(trx, Date.now() - started)
      })
      return { ms: Date.now() - started }
    },

    async refreshedAt(): Promise<Date | null> {
      return (await repo.lastRefresh(db))?.refreshed_at ?? null
    },

    async states() {
      const rows = await repo.states(db)
      const byState = new Map(rows.map((r) => [r.state, Number(r.count)]))
      return STATES.map((s) => ({ state: s, label: STATE_LABELS[s], count: byState.get(s) ?? 0 }))
    },

    async page(today = new Date()) {
      const days: string[] = []
      for (let i = WINDOW_DAYS - 1; i >= 0; i--) days.push(isoDate(new Date(today.getTime() - i * DAY_MS)))
      const [states, daily, last] = await Promise.all([this.states(), repo.daily(db, days[0]), repo.lastRefresh(db)])
      const byDay = new Map(daily.map((d) => [d.day, d]))
      const rows = days.map((day) => {
        const d = byDay.get(day)
        return {
          day,
          activations: d?.activations ?? 0,
          oppositions: d?.oppositions ?? 0,
          autoCreated: d?.auto_created ?? 0,
          codesEmail: d?.codes_email ?? 0,
          codesPost: d?.codes_post ?? 0,
        }
      })
      const sum = (k: Exclude<keyof (typeof rows)[number], 'day'>) => rows.reduce((n, r) => n + r[k], 0)
      const chart = barChart(rows.map((r) => ({ label: r.day, value: r.activations })))
      return {
        states,
        total: states.reduce((n, s) => n + s.count, 0),
        rows,
        chart,
        totals: {
          activations: sum('activations'),
          oppositions: sum('oppositions'),
          autoCreated: sum('autoCreated'),
          codesEmail: sum('codesEmail'),
          codesPost: sum('codesPost'),
        },
        refreshedAt: last?.refreshed_at ?? null,
      }
    },
  }
}
