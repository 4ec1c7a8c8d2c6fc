import type { Knex } from 'knex'
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor'
import {
  checkChoice,
  consentState,
  grantedCategories as toCategories,
  requestKey,
  requestLabel,
  type Access,
  type ConsentState,
  type DataCategory,
  type ServiceRequest,
} from '../../domain/consent'
import type { Action } from '../../domain/accessPolicy'
import { forbidden, notFound } from '../../errors'
import type { AccessFacts } from '../../access/facts'
import type { Notifier } from '../../infrastructure/notifier'
import type { ActivityLog } from '../history/activity'
import type { NotificationPrefsService } from '../account/notificationPrefs'
import { answers } from '../../infrastructure/reachable'
import { OIDC_MOUNT } from '../fhir/provider'
import { SERVICE_CATEGORIES, isServiceCategory } from './data'
import { catalogueRepository as repo, type ConnectionRow, type ServiceRow } from './repository'

export const REPORT_REASONS = {
  donnees: 'Le service affiche des informations inexactes',
  acces: "Le service utilise des données que je n'ai pas autorisées",
  fonctionnement: 'Le service ne fonctionne pas',
  autre: 'Autre problème',
} as const
export type ReportReason = keyof typeof REPORT_REASONS
export function isReportReason(v: string): v is ReportReason {
  return Object.prototype.hasOwnProperty.call(REPORT_REASONS, v)
}
export const REPORT_MAX = 1000

export interface ServiceSummary {
  id: string
  slug: string
  name: string
  category: string
  categoryLabel: string
  publisher: string
  description: string
}

export interface ServiceView extends ServiceSummary {
  website: string | null
  /** Withdrawn from the catalogue (back office): shown only to the people still connected, to disconnect it. */
  withdrawn: boolean
  version: number
  requests: { key: string; label: string; category: DataCategory; access: Access }[]
  /** Where the service's application starts its pairing (its registered OAuth client), if it has one. */
  startUrl: string | null
  connection: null | { consentedAt: Date; version: number; state: ConsentState; effectiveLabels: string[]; newLabels: string[] }
}

export const REMINDER_DAYS = 90
const DAY = 24 * 60 * 60 * 1000

const summary = (s: ServiceRow): ServiceSummary => ({
  id: s.id,
  slug: s.slug,
  name: s.name,
  category: s.category,
  categoryLabel: isServiceCategory(s.category) ? SERVICE_CATEGORIES[s.category] : s.category,
  publisher: s.publisher,
  description: s.description,
})

const labelOf = (requests: ServiceRequest[]) => (key: string) => {
  const r = requests.find((x) => requestKey(x) === key)
  return r ? requestLabel(r) : key
}

/**
 * The catalogue of services (SPEC §10): consult, connect with a consent per request, re-consent
 * when a service asks more, disconnect, report a problem; the 90-day reminder. Other features
 * (the FHIR API, «Mes autorisations») ask `grantedCategories` and `connections`.
 */
export function createCatalogueService(deps: {
  db: Knex
  activity: ActivityLog
  notifier: Notifier
  notificationPrefs: NotificationPrefsService
  access: AccessFacts
  publicUrl: string
}) {
  const { db, activity, notifier, notificationPrefs, access } = deps

  /**
   * The space whose services the actor looks at or changes, as the access policy allows:
   * 'read' the space to see its connections, 'manage' it to connect or disconnect (holder or
   * legal representative, never a carer, never a professional, agent or operator).
   */
  async function personOf(actor: Actor, action: Action, trx: Knex | Knex.Transaction = db): Promise<string> {
    if (actor.kind !== 'patient') throw forbidden()
    return (await access.authorizeSubject(trx, actor, action, { type: 'space' })).personId
  }

  function view(s: ServiceRow, c: ConnectionRow | undefined): ServiceView {
    const current = { version: s.current_version, requests: s.requests }
    const label = labelOf(s.requests)
    const state = c ? consentState(current, c) : null
    return {
      ...summary(s),
      website: s.website,
      withdrawn: s.status === 'withdrawn',
      version: s.current_version,
      requests: s.requests.map((r) => ({ key: requestKey(r), label: requestLabel(r), category: r.category, access: r.access })),
      startUrl: null,
      connection:
        c && state
          ? {
              consentedAt: c.consented_at,
              version: c.version,
              state,
              effectiveLabels: state.effective.map(label),
              newLabels: state.newRequests.map(label),
            }
          : null,
    }
  }

  /** A service patients may know of: a draft of the back office does not exist for them yet. */
  async function load(trx: Knex | Knex.Transaction, slug: string): Promise<ServiceRow> {
    const s = await repo.findBySlug(trx, slug)
    if (!s || s.status === 'draft') throw notFound()
    return s
  }

  return {
    categories: Object.entries(SERVICE_CATEGORIES).map(([value, text]) => ({ value, text })),

    async list(
      actor: Actor,
      filter: { q?: string; category?: string },
    ): Promise<{ services: (ServiceSummary & { connected: boolean; needsReconsent: boolean })[]; connected: ServiceView[] }> {
      const personId = await personOf(actor, 'read')
      const [rows, connections] = await Promise.all([repo.list(db, filter), this.connections(personId)])
      const bySlug = new Map(connections.map((c) => [c.slug, c]))
      return {
        services: rows.map((s) => ({
          ...summary(s),
          connected: bySlug.has(s.slug),
          needsReconsent: bySlug.get(s.slug)?.connection?.state.needsReconsent ?? false,
        })),
        connected: connections,
      }
    },

    /** The services connected to a person's space, with what each may use now. */
    async connections(personId: string): Promise<ServiceView[]> {
      const rows = await repo.activeConnections(db, personId)
      const out: ServiceView[] = []
      for (const c of rows) {
        const s = await repo.findById(db, c.service_id)
        if (s) out.push(view(s, c))
      }
      return out.sort((a, b) => a.name.localeCompare(b.name, 'fr'))
    },

    async page(actor: Actor, slug: string): Promise<ServiceView> {
      const personId = await personOf(actor, 'read')
      const s = await load(db, slug)
      const [c, client] = await Promise.all([repo.activeConnection(db, personId, s.id), repo.backingClient(db, s.id, s.slug)])
      // A withdrawn service stays reachable only by those still connected to it (to disconnect it).
      if (s.status === 'withdrawn' && !c) throw notFound()
      return { ...view(s, c), startUrl: client?.initiate_login_uri ?? null }
    },

    /**
     * Where «Connecter ce service» leads. A service whose application pairs itself (its OAuth client
     * has a start address) is opened there, for a first connection the person makes themselves
     * (OpenID Connect third-party initiated login: the address carries the issuer); the application
     * then asks for the consent through the authorisation server. Otherwise, and to change a consent,
     * the consent form; also when the application does not answer (the demo's scale when `npm run
     * simulateur:balance` is not running, a service down), with a word on why, rather than the
     * browser's error page.
     */
    async connectStart(actor: Actor, slug: string): Promise<{ redirect: string } | { appSilent: boolean }> {
      const service = await this.page(actor, slug)
      if (service.connection || !service.startUrl || service.withdrawn || actor.acting) return { appSilent: false }
      if (!(await answers(service.startUrl))) return { appSilent: true }
      const start = new URL(service.startUrl)
      start.searchParams.set('iss', `${deps.publicUrl}${OIDC_MOUNT}`)
      return { redirect: start.href }
    },

    /**
     * Records a consent for the current version of the service's requests (a first connection,
     * a re-consent after new requests, or a change of the ticked boxes).
     */
    async connect(
      actor: Actor,
      slug: string,
      ticked: string[],
    ): Promise<{ ok: true; kind: 'connected' | 'updated' } | { ok: false; message: string }> {
      return db.transaction(async (trx) => {
        const personId = await personOf(actor, 'manage', trx)
        const s = await load(trx, slug)
        await repo.lockService(trx, s.id)
        const fresh = (await repo.findById(trx, s.id))!
        if (fresh.status !== 'published')
          return { ok: false, message: 'Ce service a été retiré du catalogue : il ne peut plus être connecté' } as const
        const choice = checkChoice({ version: fresh.current_version, requests: fresh.requests }, ticked)
        if (!choice.ok) return choice
        const existing = await repo.activeConnection(trx, personId, s.id)
        if (existing) await repo.endConnection(trx, existing.id)
        const asked = fresh.requests.map(requestKey)
        await repo.insertConnection(trx, {
          person_id: personId,
          service_id: s.id,
          version: fresh.current_version,
          asked,
          granted: choice.granted,
          consented_by_account_id: actor.accountId,
        })
        await activity.record(trx, actor, {
          action: existing ? 'service.consent_updated' : 'service.connected',
          subjectPersonId: personId,
          objectType: 'service',
          objectId: s.id,
          details: { service: s.name, version: fresh.current_version, granted: choice.granted },
        })
        return { ok: true, kind: existing ? 'updated' : 'connected' } as const
      })
    },

    /** «Désynchroniser»: the service loses every access at once. */
    async disconnect(actor: Actor, slug: string): Promise<boolean> {
      return db.transaction(async (trx) => {
        const personId = await personOf(actor, 'manage', trx)
        const s = await load(trx, slug)
        const existing = await repo.activeConnection(trx, personId, s.id)
        if (!existing) return false
        await repo.endConnection(trx, existing.id)
        // One truth with the OAuth side: the clients of this service lose their grants and refresh tokens.
        await repo.destroyClientGrants(trx, personId, s.id, s.slug)
        await activity.record(trx, actor, {
          action: 'service.disconnected',
          subjectPersonId: personId,
          objectType: 'service',
          objectId: s.id,
          details: { service: s.name },
        })
        return true
      })
    },

    /** «Signaler un problème»: stored for the operators (no health data asked). */
    async report(actor: Actor, slug: string, input: { reason: ReportReason; message: string }): Promise<void> {
      await db.transaction(async (trx) => {
        const personId = await personOf(actor, 'read', trx)
        const s = await load(trx, slug)
        await repo.insertReport(trx, { service_id: s.id, person_id: personId, reason: input.reason, message: input.message })
        await activity.record(trx, actor, {
          action: 'service.reported',
          subjectPersonId: personId,
          objectType: 'service',
          objectId: s.id,
          details: { service: s.name, reason: input.reason },
        })
      })
    },

    /** The operators' list of reports. */
    async reports(actor: Actor, limit = 200) {
      if (actor.kind !== 'operator') throw forbidden()
      const rows = await repo.reports(db, limit)
      return rows.map((r) => ({ ...r, reasonLabel: isReportReason(r.reason) ? REPORT_REASONS[r.reason] : r.reason }))
    },

    /**
     * What a connected service may read or write in a person's space now: only what the person
     * ticked and the current version still asks; nothing new until they consent again; nothing
     * when the space is not open.
     */
    async grantedCategories(personId: string, serviceId: string): Promise<{ category: DataCategory; access: Access }[]> {
      if (!/^[0-9a-f-]{36}$/i.test(personId) || !/^[0-9a-f-]{36}$/i.test(serviceId)) return []
      // A closed (or never opened) space gives nothing to anyone.
      if (!(await repo.spaceOpen(db, personId))) return []
      const s = await repo.findById(db, serviceId)
      // A withdrawn service (or a draft) gets nothing, whatever was consented.
      if (!s || s.status !== 'published') return []
      const c = await repo.activeConnection(db, personId, serviceId)
      if (!c) return []
      return toCategories(consentState({ version: s.current_version, requests: s.requests }, c).effective)
    },

    /**
     * The catalogue consent as the OAuth side reads it: what the current version asks, what is
     * effective now (nothing new before a new consent). `idOrSlug` is the client's catalogue link.
     */
    async consentOf(
      personId: string,
      idOrSlug: string,
      q: Knex | Knex.Transaction = db,
    ): Promise<
      | {
          serviceId: string
          slug: string
          name: string
          asked: string[]
          effective: string[]
          consentedAt: Date | null
          open: boolean
          published: boolean
        }
      | undefined
    > {
      const s = /^[0-9a-f-]{36}$/i.test(idOrSlug) ? await repo.findById(q, idOrSlug) : await repo.findBySlug(q, idOrSlug)
      if (!s) return undefined
      const asked = s.requests.map(requestKey)
      const open = /^[0-9a-f-]{36}$/i.test(personId) && (await repo.spaceOpen(q, personId))
      const c = open ? await repo.activeConnection(q, personId, s.id) : undefined
      // A withdrawn service (or a draft) gets nothing, whatever was consented.
      const effective = c && s.status === 'published' ? consentState({ version: s.current_version, requests: s.requests }, c).effective : []
      return {
        serviceId: s.id,
        slug: s.slug,
        name: s.name,
        asked,
        effective,
        consentedAt: c?.consented_at ?? null,
        open,
        published: s.status === 'published',
      }
    },

    /**
     * A service changes its requests (back office, or the publisher): a new version; what is new is
     * not granted until each connected person consents again (`consentState`). Runs in the
     * caller's transaction when given one (the back office logs the change in it).
     */
    async publishRequests(serviceId: string, requests: ServiceRequest[], trx?: Knex.Transaction): Promise<number> {
      const run = async (t: Knex.Transaction) => {
        await repo.lockService(t, serviceId)
        return repo.publishVersion(t, serviceId, requests)
      }
      return trx ? run(trx) : db.transaction(run)
    },

    /**
     * Every 90 days, an e-mail reminds each person of their connected services (if they kept that
     * notification): the services by name and publisher, and links to «Mes autorisations» and the
     * catalogue. Nothing else: no data, no data category, no NIR.
     */
    async remindConnected(now = new Date(), batch = 500): Promise<{ reminded: number; skipped: number }> {
      const before = new Date(now.getTime() - REMINDER_DAYS * DAY)
      let reminded = 0
      let skipped = 0
      for (;;) {
        const due = await repo.dueReminders(db, before, batch)
        if (!due.length) break
        for (const { person_id } of due) {
          await db.transaction(async (trx) => {
            const services = await repo.connectedServiceNames(trx, person_id)
            const count = services.length
            const to = await notificationPrefs.recipient(person_id, 'connected_services', trx)
            if (to && count) {
              await notifier.email(trx, {
                to,
                kind: 'connected-services',
                subject: 'Vos services connectés à Mon espace santé',
                text: [
                  'Bonjour,',
                  '',
                  `${count === 1 ? 'Ce service est connecté' : `Ces ${count} services sont connectés`} à votre profil Mon espace santé :`,
                  ...services.map((s) => `- ${s.name} (${s.publisher})`),
                  '',
                  'Pour voir ce que chacun peut consulter, et le désynchroniser si vous le souhaitez, connectez-vous :',
                  `- Mes autorisations : ${deps.publicUrl}/mes-autorisations`,
                  `- Catalogue de services : ${deps.publicUrl}/catalogue`,
                  '',
                  'Vous recevez ce rappel tous les 90 jours. Vous pouvez le désactiver dans « Mon compte », rubrique notifications.',
                  '',
                  'Mon espace santé – Assurance Maladie',
                ].join('\n'),
              })
              await activity.record(trx, SYSTEM_ACTOR, {
                action: 'service.reminder_sent',
                subjectPersonId: person_id,
                objectType: 'space',
                objectId: person_id,
              })
              reminded++
            } else skipped++
            await repo.markReminded(trx, person_id, now)
          })
        }
        if (due.length < batch) break
      }
      return { reminded, skipped }
    },
  }
}

export type CatalogueService = ReturnType<typeof createCatalogueService>
