import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { canBackOffice, type Action } from '../../domain/accessPolicy'
import { DATA_CATEGORIES, isDataCategory, parseRequestKey, requestKey, requestLabel, type ServiceRequest } from '../../domain/consent'
import { forbidden, notFound } from '../../errors'
import { addError, emptyErrors, hasErrors, type FormErrors } from '../../validation'
import type { ActivityLog } from '../history/activity'
import type { CatalogueService } from '../catalogue/service'
import { SERVICE_CATEGORIES, isServiceCategory } from '../catalogue/data'
import { catalogueRepository as repo, type ServiceRow, type ServiceStatus } from '../catalogue/repository'
import { adminLogRepository, type AdminChangeRow } from './adminRepository'

export const STATUS_LABELS: Record<ServiceStatus, string> = {
  draft: 'Brouillon (non publié)',
  published: 'Publié',
  withdrawn: 'Retiré du catalogue',
}

/** Every request a service may make, in a stable order: the checkboxes of the form. */
export const ALL_REQUESTS: ServiceRequest[] = Object.keys(DATA_CATEGORIES)
  .filter(isDataCategory)
  .flatMap((category) => (['read', 'write'] as const).map((access) => ({ category, access })))
const ORDER = ALL_REQUESTS.map(requestKey)
const canonical = (rs: ServiceRequest[]) => [...new Set(rs.map(requestKey))].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))

export const LIMITS = { name: 120, publisher: 120, description: 1000, website: 200 }

export interface ServiceInput {
  name: string
  publisher: string
  category: string
  description: string
  website: string | null
  requests: ServiceRequest[]
}

/** The form as typed (to show it again on an error). */
export interface ServiceFormValues {
  name: string
  publisher: string
  category: string
  description: string
  website: string
  requests: string[]
}

const one = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '')

export function serviceFormValues(body: Record<string, unknown>): ServiceFormValues {
  return {
    name: one(body.name).slice(0, 500),
    publisher: one(body.publisher).slice(0, 500),
    category: one(body.category).slice(0, 40),
    description: one(body.description).slice(0, 5000),
    website: one(body.website).slice(0, 500),
    requests: [body['requests[]'] ?? []].flat().map(String).slice(0, 40),
  }
}

/**
 * Checks the form of a service; French messages next to each field and in the summary, short (the field's
 * label says the rest): with every field empty, the summary still leaves the h1 on a phone's first screen (360×640, and 320 px wide).
 */
export function checkServiceForm(v: ServiceFormValues): { ok: true; input: ServiceInput } | { ok: false; errors: FormErrors } {
  const errors = emptyErrors()
  const name = v.name.trim()
  const publisher = v.publisher.trim()
  const description = v.description.trim()
  const website = v.website.trim()
  if (!name) addError(errors, 'name', 'Saisissez le nom')
  else if (name.length > LIMITS.name) addError(errors, 'name', `Le nom doit contenir ${LIMITS.name} caractères au maximum`)
  if (!publisher) addError(errors, 'publisher', "Saisissez l'éditeur")
  else if (publisher.length > LIMITS.publisher)
    addError(errors, 'publisher', `Le nom de l'éditeur doit contenir ${LIMITS.publisher} caractères au maximum`)
  if (!isServiceCategory(v.category)) addError(errors, 'category', 'Choisissez la catégorie')
  if (!description) addError(errors, 'description', 'Décrivez le service')
  else if (description.length > LIMITS.description)
    addError(
      errors,
      'description',
      `La description doit contenir ${LIMITS.description} caractères au maximum (vous en avez saisi ${description.length})`,
    )
  if (website) {
    let valid = false
    try {
      const u = new URL(website)
      valid = u.protocol === 'https:' && u.hostname.includes('.') && website.length <= LIMITS.website
    } catch {
      valid = false
    }
    if (!valid) addError(errors, 'website', "Saisissez l'adresse du site sous la forme https://www.exemple.fr, ou laissez le champ vide")
  }
  const parsed = v.requests.map(parseRequestKey)
  if (parsed.some((r) => r === null)) addError(errors, 'requests', 'Choisissez parmi les données proposées', 'requests')
  else if (!parsed.length) addError(errors, 'requests', 'Cochez les données', 'requests')
  if (hasErrors(errors)) return { ok: false, errors }
  const requests = canonical(parsed.filter((r) => r !== null)).map((k) => parseRequestKey(k)!)
  return { ok: true, input: { name, publisher, category: v.category, description, website: website || null, requests } }
}

/** «Mon Appli Santé !» → «mon-appli-sante». */
export function slugOf(name: string): string {
  return (
    name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'service'
  )
}

export interface AdminService {
  id: string
  slug: string
  name: string
  publisher: string
  category: string
  categoryLabel: string
  description: string
  website: string | null
  status: ServiceStatus
  statusLabel: string
  version: number
  requests: string[]
  requestLabels: string[]
}

const adminView = (s: ServiceRow): AdminService => ({
  id: s.id,
  slug: s.slug,
  name: s.name,
  publisher: s.publisher,
  category: s.category,
  categoryLabel: isServiceCategory(s.category) ? SERVICE_CATEGORIES[s.category] : s.category,
  description: s.description,
  website: s.website,
  status: s.status,
  statusLabel: STATUS_LABELS[s.status] ?? s.status,
  version: s.current_version,
  requests: canonical(s.requests),
  requestLabels: canonical(s.requests).map((k) => requestLabel(parseRequestKey(k)!)),
})

const CHANGE_LABELS: Record<string, string> = {
  'catalogue_service.created': 'Service ajouté (brouillon)',
  'catalogue_service.updated': 'Service modifié',
  'catalogue_service.published': 'Service publié',
  'catalogue_service.withdrawn': 'Service retiré du catalogue',
}
const FIELD_LABELS: Record<string, string> = {
  name: 'nom',
  publisher: 'éditeur',
  category: 'catégorie',
  description: 'description',
  website: 'site',
  requests: 'données demandées',
}

/**
 * «Catalogue de services», the operators' side (SPEC §10, §12): list every service, add one (a
 * draft), edit it, publish or withdraw it. Changing the data a service requests publishes a new
 * version through the catalogue's own `publishRequests`, so connected people must consent again
 * for what is new (the rule lives in src/domain/consent.ts). Each change: one transaction, one
 * activity row on the operator's chain (what changed, before → after; no one's data).
 */
export function createCatalogueAdmin(deps: { db: Knex; activity: ActivityLog; catalogue: CatalogueService }) {
  const { db, activity, catalogue } = deps
  const allow = (actor: Actor, action: Action) => {
    if (!canBackOffice(actor, action, { type: 'catalogue-service' })) throw forbidden()
  }
  const uuid = (id: string) => {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw notFound()
    return id
  }
  const DUPLICATE = 'Un service du catalogue porte déjà ce nom : choisissez un autre nom'

  return {
    categories: Object.entries(SERVICE_CATEGORIES).map(([value, text]) => ({ value, text })),
    requestChoices: ALL_REQUESTS.map((r) => ({ value: requestKey(r), text: requestLabel(r) })),

    async list(actor: Actor): Promise<AdminService[]> {
      allow(actor, 'list')
      return (await repo.adminList(db)).map(adminView)
    },

    async find(actor: Actor, id: string): Promise<AdminService> {
      allow(actor, 'read')
      const s = await repo.findById(db, uuid(id))
      if (!s) throw notFound()
      return adminView(s)
    },

    /** Adds a service as a draft (not shown to patients until published). */
    async create(actor: Actor, input: ServiceInput): Promise<{ ok: true; id: string } | { ok: false; errors: FormErrors }> {
      allow(actor, 'create')
      return db.transaction(async (trx) => {
        // One addition at a time: two operators typing the same name never make two services.
        await repo.lockServicesForAddition(trx)
        const slug = slugOf(input.name)
        if (await repo.nameTaken(trx, input.name, undefined, slug)) return { ok: false, errors: addError(emptyErrors(), 'name', DUPLICATE) }
        const { requests, ...row } = input
        const id = await repo.insertService(trx, { ...row, slug }, requests)
        await activity.record(trx, actor, {
          action: 'catalogue_service.created',
          objectType: 'catalogue_service',
          objectId: id,
          details: { service: input.name, publisher: input.publisher, category: input.category, requests: canonical(requests), version: 1 },
        })
        return { ok: true, id } as const
      })
    },

    /**
     * Edits a service. New requests → a new version (connected people consent again for what is
     * new); the rest is updated in place. Nothing written when nothing changed.
     */
    async update(
      actor: Actor,
      id: string,
      input: ServiceInput,
    ): Promise<{ ok: true; changed: string[]; version: number | null } | { ok: false; errors: FormErrors }> {
      allow(actor, 'update')
      uuid(id)
      return db.transaction(async (trx) => {
        await repo.lockService(trx, id)
        const s = await repo.findById(trx, id)
        if (!s) throw notFound()
        if (await repo.nameTaken(trx, input.name, id)) return { ok: false, errors: addError(emptyErrors(), 'name', DUPLICATE) }
        const changes: Record<string, { from: unknown; to: unknown }> = {}
        const patch: Partial<Pick<ServiceInput, 'name' | 'publisher' | 'category' | 'description' | 'website'>> = {}
        for (const f of ['name', 'publisher', 'category', 'description', 'website'] as const) {
          if ((s[f] ?? null) !== (input[f] ?? null)) {
            Object.assign(patch, { [f]: input[f] })
            // The description is long: the log says it changed, the new text stays in the table.
            changes[f] =
              f === 'description'
                ? { from: '(ancienne description)', to: '(nouvelle description)' }
                : { from: s[f] ?? null, to: input[f] ?? null }
          }
        }
        const before = canonical(s.requests)
        const after = canonical(input.requests)
        let version: number | null = null
        if (before.join(',') !== after.join(',')) {
          version = await catalogue.publishRequests(id, input.requests, trx)
          changes.requests = { from: before, to: after }
        }
        if (!Object.keys(changes).length) return { ok: true, changed: [], version: null } as const
        await repo.updateService(trx, id, patch)
        await activity.record(trx, actor, {
          action: 'catalogue_service.updated',
          objectType: 'catalogue_service',
          objectId: id,
          details: { service: input.name, changes, ...(version ? { version } : {}) },
        })
        return { ok: true, changed: Object.keys(changes), version } as const
      })
    },

    /** Publish (shown to patients, may be connected) or withdraw (gone; its connections give it nothing any more). */
    async setStatus(actor: Actor, id: string, status: 'published' | 'withdrawn'): Promise<boolean> {
      allow(actor, 'manage')
      uuid(id)
      return db.transaction(async (trx) => {
        await repo.lockService(trx, id)
        const s = await repo.findById(trx, id)
        if (!s) throw notFound()
        if (s.status === status) return false
        await repo.updateService(trx, id, { status })
        await activity.record(trx, actor, {
          action: status === 'published' ? 'catalogue_service.published' : 'catalogue_service.withdrawn',
          objectType: 'catalogue_service',
          objectId: id,
          details: { service: s.name, from: s.status, to: status },
        })
        return true
      })
    },

    /** The last changes to the catalogue (or to one service), from the activity log. */
    async changes(actor: Actor, opts: { id?: string; limit?: number } = {}) {
      allow(actor, 'list')
      const rows: AdminChangeRow[] = await adminLogRepository.changes(db, Object.keys(CHANGE_LABELS), opts.limit ?? 10, opts.id)
      return rows.map((r) => {
        // The activity log's details are JSON: this service's changes wrote them in this shape.
        const d = (r.details ?? {}) as { service?: string; changes?: Record<string, unknown>; version?: number }
        const fields = Object.keys(d.changes ?? {}).map((f) => FIELD_LABELS[f] ?? f)
        return {
          at: r.occurred_at,
          by: r.actor_name,
          organisation: r.actor_organisation,
          service: d.service ?? '',
          what: CHANGE_LABELS[r.action] ?? r.action,
          fields,
          version: d.version ?? null,
        }
      })
    },
  }
}
