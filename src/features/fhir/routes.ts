import { Router, type Request, type Response } from 'express'
import type { Services } from '../../services'
import { requireOperator, signedInRoutes } from '../../middleware/auth'
import { ALL_SERVICE_SCOPES, SERVICE_SCOPES, serviceScopesOf } from '../../domain/serviceScopes'
import { addError, emptyErrors, hasErrors } from '../../validation'
import { notFound } from '../../errors'
import { toNativeRealm } from '../../infrastructure/nativeRequire'
import { fhirAudience, INTERACTION_BASE, type OidcInteraction } from './provider'
import { scopeLabel } from './connections'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { formBody, type FormBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

declare module 'express-session' {
  interface Journeys {
    /** A client's secret, just created or renewed: shown once, on the list that follows. */
    clientSecret?: { id: string; secret: string }
  }
}

const CONNECTED = '/mon-espace/services-connectes'
const CLIENTS = '/back-office/clients'

/** The consent page posts, then the browser follows redirects to the service: its origin must be allowed by `form-action`. */
function allowFormActionTo(res: Response, redirectUris: string[]) {
  const origins = [...new Set(redirectUris.map((u) => new URL(u).origin))]
  const csp = res.getHeader('Content-Security-Policy')
  if (typeof csp === 'string' && origins.length)
    res.setHeader('Content-Security-Policy', csp.replace("form-action 'self'", `form-action 'self' ${origins.join(' ')}`))
}

/** Checkboxes are named `scopes[]` (one name per group, as html-validate wants). */
const ticked = (body: Record<string, unknown> | undefined) => serviceScopesOf([body?.['scopes[]'] ?? []].flat().map(String))

/**
 * Patient side: the login and consent step of the authorisation server (our pages, JavaScript
 * not needed), «Services connectés» with «Désynchroniser». Operator side: client registration.
 */
export function connectedServicesRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const forOperators = signedInRoutes(router, 'operator')
  const { oidc, clients, connections, publicUrl } = { ...services, publicUrl: services.config.publicUrl }

  async function details(req: Request, res: Response): Promise<OidcInteraction | undefined> {
    try {
      const interaction = await oidc.interactionDetails(req, res)
      return interaction.uid === req.params.uid ? interaction : undefined
    } catch {
      return undefined
    }
  }

  async function consentPage(
    req: Request,
    res: Response,
    actor: Actor,
    interaction: OidcInteraction,
    errors?: ReturnType<typeof emptyErrors>,
  ) {
    const client = await clients.get(interaction.params.client_id)
    if (!client || client.disabled || !actor.personId) throw notFound()
    const offer = await connections.offerable(client.id, actor.personId)
    const requested = serviceScopesOf(interaction.params.scope).filter((s) => client.scopes.includes(s) && (!offer || offer.includes(s)))
    const current = new Set(await connections.consentedScopes(actor.personId, client.id))
    allowFormActionTo(res, client.redirectUris)
    res.status(errors ? 400 : 200).render('fhir/consent.njk', {
      pageTitle: `Autoriser ${client.name}`,
      client,
      action: `${INTERACTION_BASE}/${interaction.uid}`,
      // One box per data category, in the catalogue's words for a catalogue service; nothing ticked the first time.
      items: requested.map((s) => ({
        value: s,
        text: client.catalogueServiceId ? scopeLabel(s) : SERVICE_SCOPES[s].label,
        checked: (errors ? new Set<string>(ticked(formBody(req))) : current).has(s),
      })),
      errors,
    })
  }

  forPatients.get(`${INTERACTION_BASE}/:uid`, async (req, res, actor) => {
    if (actor.acting)
      return res
        .status(403)
        .render('errors/403.njk', { pageTitle: 'Accès refusé', message: 'Revenez sur votre propre profil pour connecter un service.' })
    const interaction = await details(req, res)
    if (!interaction) return res.status(400).render('fhir/interaction-expired.njk', { pageTitle: 'La demande a expiré' })
    await consentPage(req, res, actor, interaction)
  })

  forPatients.post(`${INTERACTION_BASE}/:uid`, async (req, res, actor) => {
    if (actor.acting)
      return res
        .status(403)
        .render('errors/403.njk', { pageTitle: 'Accès refusé', message: 'Revenez sur votre propre profil pour connecter un service.' })
    const interaction = await details(req, res)
    if (!interaction) return res.status(400).render('fhir/interaction-expired.njk', { pageTitle: 'La demande a expiré' })
    const client = await clients.get(interaction.params.client_id)
    if (!client || client.disabled) throw notFound()
    if (formBody(req).decision === 'refuse') {
      return oidc.interactionFinished(
        req,
        res,
        toNativeRealm({ error: 'access_denied', error_description: 'La personne a refusé' }),
        toNativeRealm({ mergeWithLastSubmission: false }),
      )
    }
    const offer = await connections.offerable(client.id, actor.personId!)
    const requested = serviceScopesOf(interaction.params.scope).filter((s) => client.scopes.includes(s) && (!offer || offer.includes(s)))
    const chosen = ticked(formBody(req)).filter((s) => requested.includes(s))
    const errors = emptyErrors()
    if (chosen.length === 0) addError(errors, 'scopes', 'Cochez au moins une donnée à partager, ou choisissez «Refuser»')
    if (hasErrors(errors)) return consentPage(req, res, actor, interaction, errors)

    await connections.consent(actor, client, chosen, requested)
    const audience = fhirAudience(publicUrl)
    // A new answer replaces the earlier one: a fresh grant (the earlier one kept the scopes refused then).
    if (interaction.grantId) await connections.replaceGrant(interaction.grantId)
    const grant = new oidc.Grant(toNativeRealm({ accountId: actor.personId!, clientId: client.id }))
    const oidcScopes = String(interaction.params.scope ?? '')
      .split(' ')
      .filter((s) => s === 'openid' || s === 'offline_access')
    if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '))
    grant.addResourceScope(audience, chosen.join(' '))
    // Everything asked and not granted (not ticked, or not offered: not in the catalogue's current version) is refused.
    const refused = serviceScopesOf(interaction.params.scope).filter((s) => !chosen.includes(s))
    if (refused.length) grant.rejectResourceScope(audience, refused.join(' '))
    const grantId = await grant.save()
    allowFormActionTo(res, client.redirectUris)
    await oidc.interactionFinished(
      req,
      res,
      toNativeRealm({ login: { accountId: actor.personId! }, consent: { grantId } }),
      toNativeRealm({ mergeWithLastSubmission: false }),
    )
  })

  // «Services connectés»: what each service may do, and «Désynchroniser».
  forPatients.get(CONNECTED, async (_req, res, actor) => {
    const personId = subjectPersonId(actor)
    res.render('fhir/connected.njk', {
      pageTitle: 'Services connectés',
      // THE list «Mes autorisations» shows too.
      connections: personId ? await connections.ofPerson(personId) : [],
      own: !actor.acting,
    })
  })

  forPatients.post(`${CONNECTED}/:clientId/desynchroniser`, async (req, res, actor) => {
    if (actor.acting)
      return res
        .status(403)
        .render('errors/403.njk', { pageTitle: 'Accès refusé', message: 'Revenez sur votre propre profil pour gérer vos services.' })
    const client = await clients.get(String(req.params.clientId))
    if (!client || !(await connections.disconnect(actor, client.id))) throw notFound()
    req.session.flash = { type: 'success', text: `${client.name} est désynchronisé : il n'a plus accès à vos données.` }
    res.redirect(303, CONNECTED)
  })

  // Back office: registration of the clients of connected services, each backing a catalogue service.
  router.get(CLIENTS, requireOperator, async (req, res) => {
    const shown = req.session.journeys?.clientSecret
    if (shown) setJourney(req, 'clientSecret', undefined)
    const [list, catalogueServices] = await Promise.all([clients.list(), clients.catalogueServices()])
    const serviceName = (link: string | null) =>
      link ? (catalogueServices.find((s) => s.id === link || s.slug === link)?.name ?? link) : undefined
    res.render('fhir/clients.njk', {
      pageTitle: 'Services connectés : clients OAuth',
      clients: list.map((c) => ({ ...c, serviceName: serviceName(c.catalogueServiceId), scopeLabels: c.scopes.map(scopeText) })),
      shown,
    })
  })

  const scopeText = (s: string) => (SERVICE_SCOPES[s] ? `${SERVICE_SCOPES[s].label} (${s})` : s)

  /** The form of a client (new or changed): checked here, French errors next to each field. */
  async function readClientForm(body: FormBody) {
    const errors = emptyErrors()
    const name = String(body.name ?? '').trim()
    const urisText = String(body.redirectUris ?? '')
    const catalogueServiceId = String(body.catalogueServiceId ?? '').trim()
    const startText = String(body.initiateLoginUri ?? '').trim()
    const scopes = ticked(body)
    const catalogueServices = await clients.catalogueServices()
    if (!name) addError(errors, 'name', 'Saisissez le nom du service')
    else if (name.length > 200) addError(errors, 'name', 'Le nom du service doit contenir 200 caractères au plus')
    const acceptable = (u: string) => {
      let url: URL | undefined
      try {
        url = new URL(u)
      } catch {
        return false
      }
      const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1'
      return !url.hash && (url.protocol === 'https:' || (url.protocol === 'http:' && local))
    }
    const uris = urisText.split(/\s+/).filter(Boolean)
    if (uris.length === 0) addError(errors, 'redirectUris', 'Saisissez au moins une adresse de retour')
    else {
      const bad = uris.find((u) => !acceptable(u))
      if (bad) addError(errors, 'redirectUris', `Adresse de retour invalide : ${bad.slice(0, 100)} (https obligatoire, sans #)`)
    }
    if (startText && (startText.length > 500 || !acceptable(startText)))
      addError(errors, 'initiateLoginUri', 'Adresse de démarrage invalide (https obligatoire, sans #), ou laissez vide')
    if (scopes.length === 0) addError(errors, 'scopes', 'Cochez au moins une donnée que le service peut demander')
    if (catalogueServiceId && !catalogueServices.some((s) => s.id === catalogueServiceId || s.slug === catalogueServiceId))
      addError(errors, 'catalogueServiceId', 'Choisissez un service du catalogue, ou « Aucun »')
    const values = { name, redirectUris: urisText, catalogueServiceId, initiateLoginUri: startText }
    const formOf = (checked: Set<string>) => ({
      values,
      items: ALL_SERVICE_SCOPES.map((s) => ({ value: s, text: scopeText(s), checked: checked.has(s) })),
      catalogueItems: [
        { value: '', text: 'Aucun (service hors catalogue)' },
        ...catalogueServices.map((s) => ({
          value: s.id,
          text: s.name,
          selected: s.id === catalogueServiceId || s.slug === catalogueServiceId,
        })),
      ],
    })
    return {
      errors,
      input: {
        name,
        redirectUris: uris,
        scopes,
        catalogueServiceId: catalogueServiceId || undefined,
        initiateLoginUri: startText || undefined,
      },
      form: formOf(new Set(scopes)),
    }
  }

  router.get(`${CLIENTS}/nouveau`, requireOperator, async (_req, res) => {
    const { form } = await readClientForm({})
    res.render('fhir/client-new.njk', { pageTitle: 'Enregistrer un service', ...form, action: `${CLIENTS}/nouveau` })
  })

  forOperators.post(`${CLIENTS}/nouveau`, async (req, res, actor) => {
    const { errors, input, form } = await readClientForm(formBody(req))
    if (hasErrors(errors))
      return res
        .status(400)
        .render('fhir/client-new.njk', { pageTitle: 'Enregistrer un service', ...form, action: `${CLIENTS}/nouveau`, errors })
    const created = await clients.create(actor, input)
    setJourney(req, 'clientSecret', created)
    res.redirect(303, CLIENTS)
  })

  router.get(`${CLIENTS}/:id/modifier`, requireOperator, async (req, res) => {
    const client = await clients.get(String(req.params.id))
    if (!client) throw notFound()
    const { form } = await readClientForm({
      name: client.name,
      redirectUris: client.redirectUris.join('\n'),
      catalogueServiceId: client.catalogueServiceId ?? '',
      initiateLoginUri: client.initiateLoginUri ?? '',
      'scopes[]': client.scopes,
    })
    res.render('fhir/client-new.njk', { pageTitle: `Modifier ${client.name}`, ...form, action: `${CLIENTS}/${client.id}/modifier`, client })
  })

  forOperators.post(`${CLIENTS}/:id/modifier`, async (req, res, actor) => {
    const client = await clients.get(String(req.params.id))
    if (!client) throw notFound()
    const { errors, input, form } = await readClientForm(formBody(req))
    if (hasErrors(errors))
      return res.status(400).render('fhir/client-new.njk', {
        pageTitle: `Modifier ${client.name}`,
        ...form,
        action: `${CLIENTS}/${client.id}/modifier`,
        client,
        errors,
      })
    await clients.update(actor, client.id, input)
    req.session.flash = { type: 'success', text: `${input.name} est modifié.` }
    res.redirect(303, CLIENTS)
  })

  for (const [path, disable] of [
    ['desactiver', true],
    ['activer', false],
  ] as const) {
    forOperators.post(`${CLIENTS}/:id/${path}`, async (req, res, actor) => {
      if (!(await clients.setDisabled(actor, String(req.params.id), disable))) throw notFound()
      req.session.flash = {
        type: 'success',
        text: disable ? 'Le client est désactivé : ses jetons ne sont plus acceptés.' : 'Le client est de nouveau actif.',
      }
      res.redirect(303, CLIENTS)
    })
  }

  forOperators.post(`${CLIENTS}/:id/secret`, async (req, res, actor) => {
    const id = String(req.params.id)
    const secret = await clients.rotateSecret(actor, id)
    if (!secret) throw notFound()
    setJourney(req, 'clientSecret', { id, secret })
    res.redirect(303, CLIENTS)
  })

  return router
}
