import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express'
import { capabilityStatement, FHIR_JSON, operationOutcome } from '../../domain/fhir'
import { TooManyRequestsError, HttpError, errorCode, errorMessage, isUnavailable } from '../../errors'
import { isRecord } from '../../validation'
import type { Services } from '../../services'
import { FhirError, type FhirCaller } from './fhirService'
import { OIDC_MOUNT } from './provider'
import { requestIdOf } from '../../middleware/requestId'

/** Largest FHIR request body accepted (a DocumentReference carries its content in base64). */
export const FHIR_BODY_LIMIT = '14mb' // 10 Mo of document in base64 (×4/3), plus the resource

/**
 * JSON serialised once and written as is: no ETag (Express's `send` hashes every body, and a
 * `no-store` answer is never revalidated), no conversion but the UTF-8 encoding.
 */
const send = (res: Response, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('Content-Type', `${FHIR_JSON}; charset=utf-8`)
  res.setHeader('Content-Length', Buffer.byteLength(text, 'utf8'))
  res.end(text, 'utf8')
}

const outcome = (res: Response, err: FhirError) => {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v)
  send(res, err.status, operationOutcome(err.code, err.message, 'error', err.expression ? [err.expression] : undefined))
}

// express types req.query for its extended parser: the app uses the simple one (app.ts), strings and arrays of strings only.
const search = (req: Request) => ({ params: req.query as Record<string, string | string[] | undefined>, url: req.originalUrl })

function bundle(baseUrl: string, resources: { resourceType: string; id?: string }[]) {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    entry: resources.map((r) => ({ fullUrl: `${baseUrl}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })),
  }
}

/**
 * The FHIR R4 API for connected services, under /fhir: JSON only, OAuth bearer tokens of the
 * authorisation server, rate limit per client, an OperationOutcome for every error.
 * Mounted before the session, CSRF and form parsers (no cookie here, only the bearer token).
 */
export function fhirApi(services: Services, options: { requestLogging?: boolean } = {}): Router {
  const { fhir, config, logger } = services
  const baseUrl = `${config.publicUrl}/fhir`
  const router = Router()
  const started = new Date().toISOString()

  // Mounted before helmet (pages only): the headers that matter for a JSON API, fixed, set at once.
  const headers: [string, string][] = [
    ['Cache-Control', 'no-store'],
    ['X-Content-Type-Options', 'nosniff'],
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ...(config.production ? [['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] satisfies [string, string]] : []),
  ]
  // The request's id and log line, as pino-http writes them for pages (id, method, path, status,
  // duration; no query string, no header), without a child logger per call.
  const logRequests = options.requestLogging ?? true
  router.use((req, res, next) => {
    const id = requestIdOf(req)
    res.locals.requestId = id
    res.setHeader('X-Request-Id', id)
    for (const [k, v] of headers) res.setHeader(k, v)
    if (logRequests) {
      const start = performance.now()
      res.once('finish', () => {
        const line = {
          req: { id, method: req.method, path: req.originalUrl.split('?')[0] },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - start),
        }
        if (res.statusCode >= 500) logger.error(line, 'request errored')
        else logger.info(line, 'request completed')
      })
    }
    next()
  })

  router.get('/metadata', (_req, res) => {
    send(
      res,
      200,
      capabilityStatement({
        baseUrl,
        issuer: `${config.publicUrl}${OIDC_MOUNT}`,
        date: started,
        resources: [
          { type: 'Patient', interactions: ['read', 'search-type'] },
          {
            type: 'Observation',
            interactions: ['read', 'search-type', 'create'],
            searchParams: [
              { name: 'code', type: 'token' },
              { name: 'category', type: 'token' },
              { name: 'date', type: 'date' },
              { name: '_count', type: 'number' },
            ],
          },
          {
            type: 'DocumentReference',
            interactions: ['read', 'search-type', 'create'],
            searchParams: [
              { name: 'category', type: 'token' },
              { name: 'date', type: 'date' },
              { name: '_count', type: 'number' },
            ],
          },
          {
            type: 'Immunization',
            interactions: ['read', 'search-type'],
            searchParams: [
              { name: 'date', type: 'date' },
              { name: '_count', type: 'number' },
            ],
          },
          {
            type: 'Appointment',
            interactions: ['read', 'search-type'],
            searchParams: [
              { name: 'date', type: 'date' },
              { name: '_count', type: 'number' },
            ],
          },
        ],
      }),
    )
  })

  // express types res.locals as any: the middleware just below sets fhirCaller before every route.
  const caller = (res: Response) => res.locals.fhirCaller as FhirCaller
  router.use(async (req, res, next) => {
    res.locals.fhirCaller = await fhir.authenticate(req.get('authorization'))
    next()
  })
  // A search about another person than the token's is refused, never answered about the token's own.
  router.get(['/Patient', '/Observation', '/DocumentReference', '/Immunization', '/Appointment'], async (req, res, next) => {
    await fhir.assertOwnSubject(caller(res), req.path.split('/')[1], search(req))
    next()
  })
  // Bodies are read only where a resource is created (a search or a read has none to parse).
  const json = express.json({ type: [FHIR_JSON, 'application/json'], limit: FHIR_BODY_LIMIT, strict: true })

  router.get('/Patient/:id', async (req, res) => {
    send(res, 200, await fhir.readPatient(caller(res), String(req.params.id)))
  })
  router.get('/Patient', async (_req, res) => {
    send(res, 200, bundle(baseUrl, await fhir.searchPatient(caller(res))))
  })

  router.get('/Observation', async (req, res) => {
    send(res, 200, await fhir.searchObservations(caller(res), search(req)))
  })
  router.get('/Observation/:id', async (req, res) => {
    send(res, 200, await fhir.readObservation(caller(res), String(req.params.id)))
  })
  router.post('/Observation', json, async (req, res) => {
    const created = await fhir.createObservation(caller(res), req.body)
    res.setHeader('Location', `${baseUrl}/Observation/${created.id}`)
    send(res, 201, created)
  })
  router.get('/DocumentReference', async (req, res) => {
    send(res, 200, await fhir.searchDocuments(caller(res), search(req)))
  })
  router.get('/DocumentReference/:id', async (req, res) => {
    send(res, 200, await fhir.readDocument(caller(res), String(req.params.id)))
  })
  router.post('/DocumentReference', json, async (req, res) => {
    const created = await fhir.createDocument(caller(res), req.body)
    res.setHeader('Location', `${baseUrl}/DocumentReference/${created.id}`)
    send(res, 201, created)
  })
  router.get('/Immunization', async (req, res) => {
    send(res, 200, await fhir.searchImmunizations(caller(res), search(req)))
  })
  router.get('/Immunization/:id', async (req, res) => {
    send(res, 200, await fhir.searchImmunizations(caller(res), search(req), String(req.params.id)))
  })
  router.get('/Appointment', async (req, res) => {
    send(res, 200, await fhir.searchAppointments(caller(res), search(req)))
  })
  router.get('/Appointment/:id', async (req, res) => {
    send(res, 200, await fhir.searchAppointments(caller(res), search(req), String(req.params.id)))
  })

  router.use((req: Request, _res: Response, next) =>
    next(new FhirError(404, 'not-found', `Aucune ressource à cette adresse : ${req.method} ${req.path}`)),
  )

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    if (err instanceof FhirError) return outcome(res, err)
    if (err instanceof TooManyRequestsError) {
      if (err.retryAfterSeconds) res.setHeader('Retry-After', String(err.retryAfterSeconds))
      return send(res, 429, operationOutcome('throttled', 'Trop de requêtes pour ce service : réessayez plus tard'))
    }
    const type = isRecord(err) ? err.type : undefined
    if (type === 'entity.too.large')
      return send(res, 413, operationOutcome('too-long', `Le corps de la requête dépasse ${FHIR_BODY_LIMIT}`))
    if (type === 'entity.parse.failed')
      return send(res, 400, operationOutcome('structure', "Le corps de la requête n'est pas un JSON valide"))
    if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      return send(res, 415, operationOutcome('not-supported', 'Encodage non pris en charge'))
    if (err instanceof HttpError && err.status < 500) return send(res, err.status, operationOutcome('processing', err.message))
    // The database or Redis out of reach (a connection killed, a fail-over, a pool exhausted): 503, never 500.
    if (isUnavailable(err)) {
      logger.error({ err: { message: errorMessage(err), code: errorCode(err) }, req: { id: res.locals.requestId } }, 'service indisponible')
      res.setHeader('Retry-After', '30')
      return send(res, 503, operationOutcome('transient', 'Service momentanément indisponible : réessayez plus tard'))
    }
    logger.error({ err, req: { id: res.locals.requestId } }, 'erreur de l’API FHIR')
    send(res, 500, operationOutcome('exception', 'Erreur interne : réessayez plus tard', 'fatal'))
  }
  router.use(onError)
  return router
}
