import type { Knex } from 'knex'
import { can, decideService, type DocumentFacts, type PolicyFacts } from '../../domain/accessPolicy'
import { serviceActor, type Actor } from '../../domain/actor'
import { serviceScopesOf, type ScopeAction } from '../../domain/serviceScopes'
import {
  DEFAULT_COUNT,
  MAX_COUNT,
  MEASURE_TYPE_BY_LOINC,
  OBSERVATION_CODES,
  parseDateParams,
  parseDocumentReference,
  parseObservation,
  searchBundle,
  toAppointment,
  type AppointmentSource,
  toDocumentReference,
  toImmunization,
  toObservation,
  toPatient,
  LOINC,
  type DateRange,
  type IssueCode,
} from '../../domain/fhir'
import { checkMeasure, isMeasureType, MEASURE_BY_TYPE, type MeasureType } from '../../domain/measures'
import { ageOn } from '../../domain/age'
import { categoryLabel, isCategory, MAX_DOCUMENT_BYTES } from '../../domain/documents'
import { doseLabel, vaccineLabel } from '../../domain/vaccines'
import { dateOnly } from '../../domain/parisTime'
import type { Limiter } from '../../infrastructure/rateLimit'
import type { AccessFacts, PersonFactsRow } from '../../access/facts'
import type { ActivityLog } from '../history/activity'
import { DocumentRejected, type DocumentsService } from '../documents/service'
import { documentFacts, documentsRepository, type DocumentRow } from '../documents/repository'
import type { ClientRegistry } from './clients'
import type { Connections } from './connections'
import { ALL, type Invalidation } from '../../infrastructure/invalidation'
import { accessTokenDigest, FHIR_TOKENS_CHANNEL, type OidcProvider } from './provider'
import { fhirRepository as repo } from './repository'
import type { VaccinationRow } from '../vaccinations/repository'
import { isUuid } from '../../domain/uuid'

/** An error the FHIR API answers with an OperationOutcome. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly code: IssueCode,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly expression?: string,
  ) {
    super(message)
  }
}

/** Who calls: a connected service, for the person who consented. */
export interface FhirCaller {
  actor: Actor
  clientId: string
  personId: string
  tokenScopes: string[]
}

/** A search: the query parameters (repeated ones as arrays) and the URL to build the Bundle links. */
export interface SearchQuery {
  params: Record<string, string | string[] | undefined>
  url: string
}

/** How long a checked access token is remembered (the consent itself is read on every call). */
export const TOKEN_CACHE_MS = 5_000
const TOKEN_CACHE_MAX = 10_000

type MeasureRow = { id: string; type: string; value: number; value2: number | null; measured_on: string; source_name: string | null }

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String)
}

/**
 * The use cases of the FHIR API. Every call is decided by THE access policy (relation 'service',
 * `decideService`) with fresh facts (token scopes, current consent, space state, ownership,
 * masking) and writes an activity row in the person's history (role 'service'), allowed or refused.
 */
export function createFhirService(deps: {
  db: Knex
  activity: ActivityLog
  access: AccessFacts
  documents: DocumentsService
  clients: ClientRegistry
  connections: Connections
  oidc: OidcProvider
  /** Revocations announced by any process (provider.ts); without it, only this process's own. */
  invalidation?: Invalidation
  audience: string
  limiter: Limiter
  baseUrl: string
}) {
  const { db, activity, access, documents, clients, oidc, audience, baseUrl } = deps
  const tokenCache = new Map<string, { at: number; caller: Omit<FhirCaller, 'actor'> & { clientName: string }; expiresAt: number }>()
  const cacheKey = accessTokenDigest
  // A token revoked (by the service itself at the revocation endpoint, or with its whole grant, or a
  // client disabled) is forgotten at once, by every instance: the revoking process announces it
  // before it answers (FHIR_TOKENS_CHANNEL). While this process may miss announcements (its Redis
  // subscription is down), the cache is not used. Opaque tokens' value is their jti.
  oidc.on('access_token.destroyed', (token) => tokenCache.delete(cacheKey(token.jti)))
  oidc.on('grant.revoked', () => tokenCache.clear())
  deps.invalidation?.subscribe(FHIR_TOKENS_CHANNEL, (digest) => (digest === ALL ? tokenCache.clear() : tokenCache.delete(digest)))
  const cacheUsable = () => deps.invalidation?.live() ?? true

  async function introspect(token: string): Promise<(Omit<FhirCaller, 'actor'> & { clientName: string; expiresAt: number }) | undefined> {
    const key = cacheKey(token)
    const now = Date.now()
    const hit = cacheUsable() ? tokenCache.get(key) : undefined
    if (hit && now - hit.at < TOKEN_CACHE_MS && hit.expiresAt > now) return { ...hit.caller, expiresAt: hit.expiresAt }
    const found = await oidc.AccessToken.find(token)
    const audiences = found ? (Array.isArray(found.aud) ? found.aud : [found.aud]) : []
    if (!found || found.isExpired || !audiences.includes(audience)) {
      tokenCache.delete(key)
      return undefined
    }
    const client = await clients.get(found.clientId)
    if (!client || client.disabled) return undefined
    const exp = found.exp
    const expiresAt = exp ? exp * 1000 : now + TOKEN_CACHE_MS
    const caller = { clientId: client.id, clientName: client.name, personId: found.accountId, tokenScopes: serviceScopesOf(found.scope) }
    if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.clear()
    tokenCache.set(key, { at: now, caller, expiresAt })
    return { ...caller, expiresAt }
  }

  async function authenticate(authorization: string | undefined): Promise<FhirCaller> {
    const challenge = (error?: string) => ({ 'WWW-Authenticate': `Bearer realm="fhir"${error ? `, error="${error}"` : ''}` })
    const m = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization ?? '')
    if (!m) throw new FhirError(401, 'login', "Jeton d'accès absent : utilisez l'en-tête Authorization: Bearer <jeton>", challenge())
    const found = await introspect(m[1])
    if (!found) throw new FhirError(401, 'login', "Jeton d'accès invalide, expiré ou révoqué", challenge('invalid_token'))
    await deps.limiter.consume(found.clientId)
    return {
      actor: serviceActor(found.clientId, found.clientName, found.personId, found.tokenScopes),
      clientId: found.clientId,
      personId: found.personId,
      tokenScopes: found.tokenScopes,
    }
  }

  /**
   * THE access policy's answer for `caller` on these facts (the consent withdrawn entirely counts as a
   * revoked token: 401).
   */
  function judge(
    caller: FhirCaller,
    resourceType: string,
    action: ScopeAction,
    facts: PolicyFacts | undefined,
    target?: { ownerPersonId: string; id: string; document?: DocumentFacts },
  ) {
    // «Désynchroniser» withdraws the consent at once: a token without any consent left is a revoked token.
    if (facts?.relation.kind === 'service' && facts.relation.consentedScopes.length === 0) {
      throw new FhirError(401, 'login', "Jeton d'accès invalide, expiré ou révoqué", {
        'WWW-Authenticate': 'Bearer realm="fhir", error="invalid_token"',
      })
    }
    return facts
      ? decideService(caller.actor, resourceType, action, facts, target)
      : ({ allow: false, status: 403, code: 'closed', reason: "L'espace santé de cette personne n'est pas ouvert" } as const)
  }

  /** A refusal: recorded in a transaction of its own (the caller's is rolled back), then thrown. */
  async function refuse(
    caller: FhirCaller,
    resourceType: string,
    action: ScopeAction,
    decision: { status: number; code: string; reason: string },
    target?: { id: string },
  ): Promise<never> {
    await db.transaction((t) =>
      activity.record(t, caller.actor, {
        action: 'fhir.denied',
        subjectPersonId: caller.personId,
        objectType: resourceType,
        objectId: target?.id,
        details: { action, reason: decision.code },
      }),
    )
    throw new FhirError(decision.status, decision.code === 'not-found' ? 'not-found' : 'forbidden', decision.reason)
  }

  /** A refusal decided inside a transaction: `transaction` rolls it back, then records and throws it. */
  class PendingRefusal extends Error {
    constructor(readonly args: Parameters<typeof refuse>) {
      super('refus à enregistrer')
    }
  }
  /** `db.transaction` for the use cases that call `decide`: a refusal is recorded after the rollback. */
  async function transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    try {
      return await db.transaction(fn)
    } catch (err) {
      if (err instanceof PendingRefusal) return refuse(...err.args)
      throw err
    }
  }

  /**
   * Decides with THE access policy; a refusal is recorded (after the rollback of the caller's transaction, see `transaction`), an allowed call by `done()`,
   * which the use case calls last, in its transaction: the history chain of the person is locked
   * only for the insert and the commit, not during the search.
   */
  async function decide(
    trx: Knex.Transaction,
    caller: FhirCaller,
    resourceType: string,
    action: ScopeAction,
    target?: { ownerPersonId: string; id: string; document?: DocumentFacts },
  ): Promise<{ facts: PolicyFacts; done: () => Promise<void> }> {
    const facts = await access.loadFacts(trx, caller.actor, caller.personId)
    const decision = judge(caller, resourceType, action, facts, target)
    // Recorded once this transaction is over (`transaction` below): never a second pooled
    // connection while this one is held (issue 20).
    if (!decision.allow) throw new PendingRefusal([caller, resourceType, action, decision, target])
    const done = () =>
      activity.record(trx, caller.actor, {
        action: action === 'read' ? 'fhir.read' : 'fhir.write',
        subjectPersonId: caller.personId,
        objectType: resourceType,
        objectId: target?.id,
      })
    return { facts: facts!, done }
  }

  /** Searches decided on the person's facts, read in the same transaction, and recorded with the search. */
  const decidedSearches = repo.decidedSearches(db, access)

  /**
   * A search by a connected service, with the same rules as any read, in one transaction: THE access
   * policy decides in Node on the person's facts, read in that transaction, before anything is
   * searched — a refusal rolls back, is recorded, and nothing is read — then the search and its
   * activity row (appended last, committed with it) (`fhirRepository.decidedSearches`).
   * `search` returns the knex statement, unsent (undefined: none); `searchKey`, when the statement
   * depends on nothing else (no clock), lets it be reused.
   */
  async function searchDecided<R>(
    caller: FhirCaller,
    resourceType: string,
    search: () => Knex.QueryBuilder | undefined,
    searchKey?: string,
  ): Promise<{ facts: PolicyFacts; rows: R[] }> {
    const { decision, rows } = await decidedSearches<R, ReturnType<typeof judge> & { facts?: PolicyFacts }>(caller, {
      async decide(row) {
        // The consent row came with the person's (catalogue consent included): no other query here.
        // knex types raw() rows loosely: factsWithDigestQuery selects a PersonFactsRow (and its digest).
        const person = row as PersonFactsRow | undefined
        const facts = person ? await access.factsFrom(db, caller.actor, person, new Date(), caller.personId) : undefined
        return { ...judge(caller, resourceType, 'read', facts), facts }
      },
      query: search,
      queryKey: searchKey === undefined ? undefined : `${resourceType} ${searchKey}`,
      record: () =>
        activity.appendStatement(caller.actor, { action: 'fhir.read', subjectPersonId: caller.personId, objectType: resourceType }),
    })
    // A refusal is recorded after the connection is back in the pool (it takes one of its own).
    if (!decision.allow) return refuse(caller, resourceType, 'read', decision)
    return { facts: decision.facts!, rows }
  }

  const notFound = () => new FhirError(404, 'not-found', "Cette ressource n'existe pas")
  const invalid = (p: { status: 400 | 422; code: IssueCode; message: string; expression?: string }) =>
    new FhirError(p.status, p.code, p.message, {}, p.expression)

  function paging(q: SearchQuery): { count: number; offset: number; dates: DateRange } {
    const rawCount = list(q.params._count)[0]
    const rawOffset = list(q.params._offset)[0]
    const count = rawCount === undefined ? DEFAULT_COUNT : Number(rawCount)
    const offset = rawOffset === undefined ? 0 : Number(rawOffset)
    if (!Number.isInteger(count) || count < 0) throw new FhirError(400, 'invalid', '_count doit être un entier positif', {}, '_count')
    if (!Number.isInteger(offset) || offset < 0 || offset > 1_000_000)
      throw new FhirError(400, 'invalid', '_offset doit être un entier positif', {}, '_offset')
    const d = parseDateParams(list(q.params.date))
    if (!d.ok) throw invalid(d)
    return { count: Math.min(count, MAX_COUNT), offset, dates: d.value }
  }

  function bundleOf<T extends { resourceType: string; id: string }>(q: SearchQuery, rows: T[], count: number, offset: number) {
    const more = rows.length > count
    const page = more ? rows.slice(0, count) : rows
    const link = (o: number) => {
      const u = new URL(q.url, baseUrl)
      u.searchParams.set('_offset', String(o))
      u.searchParams.set('_count', String(count))
      return `${baseUrl}${u.pathname.replace(/^\/fhir/, '')}${u.search}`
    }
    const self = new URL(q.url, baseUrl)
    return searchBundle({
      selfUrl: `${baseUrl}${self.pathname.replace(/^\/fhir/, '')}${self.search}`,
      baseUrl,
      total: more ? offset + count + 1 : offset + page.length,
      offset,
      count,
      nextUrl: more ? link(offset + count) : undefined,
      prevUrl: offset > 0 ? link(Math.max(0, offset - count)) : undefined,
      resources: page,
    })
  }

  async function readDocumentData(actor: Actor, id: string): Promise<string> {
    const { chunks } = await documents.content(actor, id, 'download')
    const parts: Buffer[] = []
    for await (const c of chunks) parts.push(c)
    return Buffer.concat(parts).toString('base64')
  }

  return {
    authenticate,

    /**
     * A search names its subject only as the token's own patient: `subject` or `patient` (also as
     * `subject:Patient`, `patient:Patient`, and `_id` on Patient) naming another person answers 403
     * with an OperationOutcome, recorded in the history like any refusal, rather than silently
     * answering about the token's patient.
     */
    async assertOwnSubject(caller: FhirCaller, resourceType: string, q: SearchQuery): Promise<void> {
      const refs = [
        ...list(q.params.subject),
        ...list(q.params.patient),
        ...list(q.params['subject:Patient']),
        ...list(q.params['patient:Patient']),
        ...(resourceType === 'Patient' ? list(q.params._id) : []),
      ].flatMap((r) => r.split(','))
      for (const ref of refs) {
        const id = ref.trim().replace(/^(?:.*\/)?Patient\//, '')
        if (id !== caller.personId) {
          await refuse(caller, resourceType, 'read', {
            status: 403,
            code: 'other-subject',
            reason: "Cette recherche porte sur une autre personne que celle qui a autorisé ce service : elle n'est pas permise",
          })
        }
      }
    },

    async readPatient(caller: FhirCaller, id: string) {
      return transaction(async (trx) => {
        const d = await decide(trx, caller, 'Patient', 'read', { ownerPersonId: id, id })
        const person = await repo.personWithSpace(trx, id)
        if (!person) throw notFound()
        await d.done()
        return toPatient({
          id: person.id,
          lastName: person.last_name,
          firstNames: person.first_names,
          sex: person.sex,
          birthDate: person.birth_date,
        })
      })
    },

    /** `GET /Patient`: the holder only, whatever the search says. */
    async searchPatient(caller: FhirCaller) {
      return transaction(async (trx) => {
        const d = await decide(trx, caller, 'Patient', 'read')
        const person = await repo.personWithSpace(trx, caller.personId)
        await d.done()
        return person
          ? [
              toPatient({
                id: person.id,
                lastName: person.last_name,
                firstNames: person.first_names,
                sex: person.sex,
                birthDate: person.birth_date,
              }),
            ]
          : []
      })
    },

    /* ---------------------------------------------------------------- Observation */

    async searchObservations(caller: FhirCaller, q: SearchQuery) {
      const { count, offset, dates } = paging(q)
      let types: MeasureType[] = Object.keys(OBSERVATION_CODES).filter(isMeasureType)
      const codes = list(q.params.code).flatMap((c) => c.split(','))
      if (codes.length) {
        types = codes.flatMap((c) => {
          const [system, code] = c.includes('|') ? c.split('|') : [LOINC, c]
          const type = system === LOINC || system === '' ? MEASURE_TYPE_BY_LOINC[code] : undefined
          return type ? [type] : []
        })
      }
      const cats = list(q.params.category)
        .flatMap((c) => c.split(','))
        .map((c) => c.split('|').pop()!)
      if (cats.length) types = types.filter((t) => cats.includes(OBSERVATION_CODES[t].category))
      const { rows } = await searchDecided<MeasureRow>(
        caller,
        'Observation',
        () => (types.length ? repo.searchMeasures(db, caller.personId, { types, ...dates, limit: count + 1, offset }) : undefined),
        q.url,
      )
      return bundleOf(
        q,
        rows.map((m) => toObservation(m, `Patient/${caller.personId}`)),
        count,
        offset,
      )
    },

    async readObservation(caller: FhirCaller, id: string) {
      return transaction(async (trx) => {
        const m = isUuid(id) ? await repo.measure(trx, id) : undefined
        const d = await decide(trx, caller, 'Observation', 'read', { ownerPersonId: m?.person_id ?? '', id })
        if (!m || !isMeasureType(m.type)) throw notFound()
        await d.done()
        return toObservation(m, `Patient/${caller.personId}`)
      })
    },

    /** A measure from a connected service: same plausible ranges as a person's, stored with its source. */
    async createObservation(caller: FhirCaller, body: unknown) {
      const parsed = parseObservation(body)
      if (!parsed.ok) throw invalid(parsed)
      const { type, value, value2, day } = parsed.value
      const def = MEASURE_BY_TYPE[type]
      return transaction(async (trx) => {
        await (await decide(trx, caller, 'Observation', 'write')).done()
        const person = await repo.personWithSpace(trx, caller.personId)
        if (def.childrenOnly && ageOn(person!.birth_date, day) >= 18)
          throw new FhirError(422, 'value', `${def.label} : mesure réservée aux enfants`, {}, 'Observation.code')
        const check = checkMeasure(def, {
          raw: String(value),
          raw2: value2 === undefined ? undefined : String(value2),
          date: day,
          birthDate: person!.birth_date,
          today: dateOnly(new Date()),
        })
        if (!check.ok)
          throw new FhirError(
            422,
            check.field === 'date' ? 'invalid' : 'value',
            check.message,
            {},
            check.field === 'date' ? 'Observation.effectiveDateTime' : 'Observation.value',
          )
        const id = await repo.insertMeasure(trx, {
          person_id: caller.personId,
          type,
          value: check.value,
          value2: check.value2 ?? null,
          measured_on: day,
          source_client_id: caller.clientId,
          source_name: caller.actor.displayName,
        })
        await activity.record(trx, caller.actor, {
          action: 'profile.measure.add',
          subjectPersonId: caller.personId,
          objectType: 'measure',
          objectId: id,
          details: { section: 'measures', type },
        })
        return toObservation(
          { id, type, value: check.value, value2: check.value2 ?? null, measured_on: day, source_name: caller.actor.displayName },
          `Patient/${caller.personId}`,
        )
      })
    },

    /* ---------------------------------------------------------------- DocumentReference */

    async searchDocuments(caller: FhirCaller, q: SearchQuery) {
      const { count, offset, dates } = paging(q)
      const cats = list(q.params.category)
        .flatMap((c) => c.split(','))
        .map((c) => c.split('|').pop()!)
      const { facts, rows } = await searchDecided<DocumentRow & { document_date: string }>(caller, 'DocumentReference', () =>
        repo.searchDocuments(db, caller.personId, {
          categories: cats.length ? cats : undefined,
          ...dates,
          limit: count + 1,
          offset,
          now: new Date(),
        }),
      )
      // The query narrows (index-friendly); the access policy decides each document, as for a read.
      const readable = rows.filter((r) => can(caller.actor, 'read', { type: 'document', document: documentFacts(r) }, facts))
      return bundleOf(
        q,
        readable.map((r) => toDocumentReference(r, caller.personId, categoryLabel(r.category))),
        count,
        offset,
      )
    },

    async readDocument(caller: FhirCaller, id: string) {
      const row = await transaction(async (trx) => {
        const d = isUuid(id) ? await documentsRepository.find(trx, id) : undefined
        await (
          await decide(trx, caller, 'DocumentReference', 'read', {
            ownerPersonId: d?.person_id ?? '',
            id,
            document: d ? documentFacts(d) : undefined,
          })
        ).done()
        return d!
      })
      const data = await readDocumentData(caller.actor, id)
      return toDocumentReference({ ...row, document_date: dateOnly(row.document_date) }, caller.personId, categoryLabel(row.category), data)
    },

    /** A document from a service allowed to write documents: same rules as any (type from the bytes, 10 Mo, encrypted). */
    async createDocument(caller: FhirCaller, body: unknown) {
      const parsed = parseDocumentReference(body, isCategory)
      if (!parsed.ok) throw invalid(parsed)
      const p = parsed.value
      if (p.bytes.length > MAX_DOCUMENT_BYTES) throw new FhirError(413, 'too-long', 'Le document dépasse 10 Mo')
      try {
        return await transaction(async (trx) => {
          await (await decide(trx, caller, 'DocumentReference', 'write')).done()
          const { id } = await documents.fileDocument(trx, caller.actor, {
            personId: caller.personId,
            category: p.category,
            title: p.title,
            date: p.day,
            bytes: p.bytes,
            author: { kind: 'system', name: caller.actor.displayName, organisation: caller.actor.displayName },
            notify: false,
          })
          const row = await documentsRepository.find(trx, id)
          return toDocumentReference({ ...row!, document_date: p.day }, caller.personId, categoryLabel(p.category))
        })
      } catch (err) {
        if (err instanceof DocumentRejected) {
          const messages = {
            empty: 'Le document est vide',
            too_large: 'Le document dépasse 10 Mo',
            type: 'Type de fichier non accepté (PDF, JPEG, PNG, TIFF ou texte)',
            type_mismatch: 'Le type annoncé ne correspond pas au contenu',
            bad_name: 'Nom de fichier refusé',
            active_content: 'PDF refusé : il contient du contenu actif (JavaScript, action de lancement ou fichier joint)',
            polyglot: 'Fichier refusé : ses octets correspondent à plusieurs types de fichier',
          }
          throw new FhirError(
            err.reason === 'too_large' ? 413 : 422,
            err.reason === 'too_large' ? 'too-long' : 'value',
            messages[err.reason],
            {},
            'DocumentReference.content[0].attachment.data',
          )
        }
        throw err
      }
    },

    /* ---------------------------------------------------------------- Immunization, Appointment */

    async searchImmunizations(caller: FhirCaller, q: SearchQuery, id?: string) {
      const { count, offset, dates } = id ? { count: 1, offset: 0, dates: {} } : paging(q)
      if (!id) {
        // A search (searchDecided); a read by id keeps its owner lookup before the decision.
        const { rows } = await searchDecided<never>(
          caller,
          'Immunization',
          () => repo.searchVaccinations(db, caller.personId, { ...dates, limit: count + 1, offset }),
          q.url,
        )
        return bundleOf(
          q,
          rows.map((v: VaccinationRow) =>
            toImmunization({ ...v, label: vaccineLabel(v.vaccine, v.other_name), dose: doseLabel(v.dose) }, `Patient/${caller.personId}`),
          ),
          count,
          offset,
        )
      }
      return transaction(async (trx) => {
        const owner = id ? (isUuid(id) ? await repo.ownerOf(trx, 'vaccinations', id) : undefined) : undefined
        const d = await decide(trx, caller, 'Immunization', 'read', id ? { ownerPersonId: owner ?? '', id } : undefined)
        const rows = await repo.searchVaccinations(trx, caller.personId, { ...dates, limit: count + 1, offset, id })
        const resources = rows.map(
          (v: {
            id: string
            vaccine: string
            other_name: string | null
            date: string
            dose: string
            professional: string
            lot: string | null
          }) =>
            toImmunization({ ...v, label: vaccineLabel(v.vaccine, v.other_name), dose: doseLabel(v.dose) }, `Patient/${caller.personId}`),
        )
        if (id && !resources[0]) throw notFound()
        await d.done()
        return id ? resources[0] : bundleOf(q, resources, count, offset)
      })
    },

    async searchAppointments(caller: FhirCaller, q: SearchQuery, id?: string) {
      const { count, offset, dates } = id ? { count: 1, offset: 0, dates: {} } : paging(q)
      if (!id) {
        // A search (searchDecided); a read by id keeps its owner lookup before the decision.
        const { rows } = await searchDecided<never>(
          caller,
          'Appointment',
          () => repo.searchEvents(db, caller.personId, { ...dates, limit: count + 1, offset }),
          q.url,
        )
        return bundleOf(
          q,
          rows.map((e: AppointmentSource) => toAppointment(e, `Patient/${caller.personId}`)),
          count,
          offset,
        )
      }
      return transaction(async (trx) => {
        const owner = id ? (isUuid(id) ? await repo.ownerOf(trx, 'agenda_events', id) : undefined) : undefined
        const d = await decide(trx, caller, 'Appointment', 'read', id ? { ownerPersonId: owner ?? '', id } : undefined)
        const rows = await repo.searchEvents(trx, caller.personId, { ...dates, limit: count + 1, offset, id })
        const resources = rows.map((e: AppointmentSource) => toAppointment(e, `Patient/${caller.personId}`))
        if (id && !resources[0]) throw notFound()
        await d.done()
        return id ? resources[0] : bundleOf(q, resources, count, offset)
      })
    },
  }
}
