import zlib from 'node:zlib'
import express, { type Express } from 'express'
import { checkUrl, setUpFormParsing } from './middleware/forms'
import compression from 'compression'
import pinoHttp from 'pino-http'
import type { Services } from './services'
import { createViews } from './views'
import { setUpSecurity } from './middleware/security'
import { setUpSession, setUpCsrf } from './middleware/session'
import { loadActor } from './middleware/auth'
import { restoreSavedForm, savedFormKey } from './middleware/savedForms'
import { setLocals } from './middleware/locals'
import { setUpErrors } from './middleware/errors'
import { setUpAssets } from './middleware/assets'
import { publicRoutes } from './features/public/routes'
import { healthRoutes } from './features/public/health'
import { devRoutes } from './features/dev/routes'
import { featureRoutes } from './routes'
import { OIDC_MOUNT } from './features/fhir/provider'
import { fhirApi } from './features/fhir/api'
import { requestIdOf } from './middleware/requestId'
import { createAdmission } from './middleware/admission'

export interface AppOptions {
  /** Logs one line per request (off in tests to keep their output readable). */
  requestLogging?: boolean
}

/**
 * A pure factory: receives the services, returns the Express app. No side effect on import;
 * tests build the real app with real services on a test database.
 */
export function createApp(services: Services, options: AppOptions = {}): Express {
  const { config, logger } = services
  const app = express()
  app.set('trust proxy', config.trustProxy ?? false)
  app.set('query parser', 'simple')

  const views = createViews()
  views.express(app)
  app.set('view engine', 'njk')
  // Templates are compiled once and kept (the Nunjucks environment caches them in every mode); the
  // view objects too, as Express does in production only by default.
  app.enable('view cache')

  // Dynamic pages: a light brotli level (the default, 11, costs more CPU than it saves bytes here).
  // A client that accepts no encoding gets the bytes as they are, without the middleware's per-request
  // wrapping of the response (it would only negotiate `identity`); still `Vary: Accept-Encoding`.
  const compress = compression({ brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } } })
  app.use((req, res, next) => {
    if (req.headers['accept-encoding'] !== undefined) compress(req, res, next)
    else {
      res.setHeader('Vary', 'Accept-Encoding')
      next()
    }
  })
  // The FHIR API (bearer tokens, JSON only: no session, no CSRF, no page, so no CSP nonce or helmet
  // per request): its own fixed security headers (nosniff, no-store, CSP 'none'...) and its own
  // request log line, the same as pino-http's without a child logger per call (see fhirApi).
  app.use('/fhir', fhirApi(services, { requestLogging: options.requestLogging ?? true }))
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = requestIdOf(req)
        res.setHeader('X-Request-Id', id)
        return id
      },
      autoLogging: options.requestLogging ?? true,
      // No body, no query string, no cookie: the URL path and the outcome only.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  )
  setUpSecurity(app, { production: config.production })
  app.use(checkUrl)
  setUpAssets(app)
  // Issue 20: requests served at once, a bounded queue, then a deliberate 503 (health and readiness before it).
  const admission = createAdmission(config.admission)
  app.use(healthRoutes(services.db, services.sessions, admission))
  app.use(admission.middleware)

  // Connected services: the authorisation server (its own parsers and cookies), before the form
  // parsers and the session (the FHIR API is mounted above, before the page middlewares).
  const oidcCallback = services.oidc.callback()
  app.use(OIDC_MOUNT, (req, res) => {
    void oidcCallback(req, res) // Koa answers and handles its own errors
  })

  // Pages read urlencoded forms only (JSON, text... are refused by the form gate, multipart is
  // streamed by the declared upload routes).
  setUpFormParsing(app)

  const formKey = savedFormKey(config.documentMasterKey)
  setUpSession(app, services.sessions, { secret: config.sessionSecret, production: config.production, savedFormKey: formKey })
  setUpCsrf(app, services.csrf)
  app.use(loadActor(services.db, [services.home.actorPageRead]))
  app.use(setLocals)
  app.use(restoreSavedForm(formKey))

  app.use(publicRoutes())
  if (config.devOutbox) app.use(devRoutes(services.db))
  app.use(featureRoutes(services))

  setUpErrors(app, logger)
  return app
}
