import { Router, type Request } from 'express'
import type { Services } from '../../services'
import { signedInRoutes } from '../../middleware/auth'
import { subjectPersonId } from '../../domain/actor'
import { ROLE_LABELS, actionLabel } from '../../domain/activityLabels'
import { NotFoundError } from '../../errors'
import type { ActorFilter, HistoryQuery, Period } from './service'

const PERIODS: Period[] = ['7', '30', '365', 'all']
const ACTOR_TYPES: ActorFilter[] = ['', 'professional', 'carer', 'agent', 'service', 'system', 'operator']

export function readHistoryQuery(q: Request['query']): { query: HistoryQuery; page: number } {
  const s = (k: string) => (typeof q[k] === 'string' ? q[k] : '')
  return {
    query: {
      tab: s('onglet') === 'autres' ? 'others' : 'mine',
      period: PERIODS.find((p) => p === s('periode')) ?? '365',
      actorType: ACTOR_TYPES.find((a) => a === s('acteur')) ?? '',
      emergencyOnly: s('urgence') === 'oui',
    },
    page: Math.min(10000, Math.max(1, Number.parseInt(s('page'), 10) || 1)),
  }
}

/** «Historique d'activité»: «Mes actions» / «Actions des professionnels et des autres», filters, emergencies highlighted. */
export function historyRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  forPatients.get('/historique', async (req, res, actor) => {
    const personId = subjectPersonId(actor)
    if (!personId) throw new NotFoundError()
    const { query, page } = readHistoryQuery(req.query)
    const result = await services.history.list(actor, personId, query, page)
    const link = (over: Record<string, string>) => {
      const p = new URLSearchParams({
        onglet: query.tab === 'others' ? 'autres' : 'moi',
        periode: query.period,
        ...(query.actorType ? { acteur: query.actorType } : {}),
        ...(query.emergencyOnly ? { urgence: 'oui' } : {}),
        ...over,
      })
      return `/historique?${p.toString()}`
    }
    res.render('history/list.njk', {
      // Each tab its own title (issue 16 §5).
      pageTitle:
        query.tab === 'others'
          ? "Historique d'activité : actions des professionnels et des autres personnes"
          : "Historique d'activité : mes actions",
      query,
      rows: result.rows.map((r) => ({ ...r, label: actionLabel(r.action), roleLabel: ROLE_LABELS[r.actor_role] ?? r.actor_role })),
      tabs: [
        { href: '/historique?onglet=moi', text: 'Mes actions', current: query.tab === 'mine' },
        { href: '/historique?onglet=autres', text: 'Actions des professionnels et des autres personnes', current: query.tab === 'others' },
      ],
      previous: page > 1 ? { href: link({ page: String(page - 1) }) } : undefined,
      next: result.hasNext ? { href: link({ page: String(page + 1) }) } : undefined,
    })
  })
  return router
}
