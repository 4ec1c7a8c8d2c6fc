import { Router, type Request, type Response } from 'express'
import type { Services } from '../../services'
import { requireOperator, requirePatient } from '../../middleware/auth'
import { SERVICE_SCOPES, serviceScopesOf, type ServiceScope } from '../../domain/serviceScopes'
import { addError, emptyErrors, hasErrors } from '../../validation'
import { notFound } from '../../errors'
import { toNativeRealm } from '../../infrastructure/nativeRequire'
import { fhirAudience, INTERACTION_BASE, type OidcInteraction } from './provider'

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

const scopeItems = (scopes: ServiceScope[], checked: Set<string>) =>
  scopes.map((s) => ({ value: s, text: SERVICE_SCOPES[s].label, checked: checked.has(s) }))

/**
 * Patient side: the login and consent step of the authorisation server (our pages, JavaScript
 * not needed), «Services connectés» with «Désynchroniser». Operator side: client registration.
 */
export function connectedServicesRoutes(services: Services): Router {
  const router = Router()
  const { oidc, clients, connections, publicUrl } = { ...services, publicUrl: services.config.publicUrl }

  async function details(req: Request, res: Response): Promise<OidcInteraction | undefined> {
    try {
      const interaction = await oidc.interactionDetails(req, res)
      return interaction.uid === req.params.uid ? interaction : undefined
    } catch {
      return undefined
    }
  }

  async function consentPage(req: Request, res: Response, interaction: OidcInteraction, errors?: ReturnType<typeof emptyErrors>) {
    const client = await clients.get(interaction.params.client_id)
    if (!client || client.disabled) throw notFound()
    const offer = await connections.offerable(client.id, req.actor!.personId!)
    const requested = serviceScopesOf(interaction.params.scope).filter((s) => client.scopes.includes(s) && (!offer || offer.includes(s)))
    const current = new Set(await connections.consentedScopes(req.actor!.personId!, client.id))
    allowFormActionTo(res, client.redirectUris)
    res.status(errors ? 400 : 200).render('fhir/consent.njk', {
      pageTitle: `Autoriser ${client.name}`,
      client,
      action: `${INTERACTION_BASE}/${interaction.uid}`,
      items: scopeItems(requested, errors ? new Set(ticked(req.body)) : current),
      errors,
    })
  }

  router.get(`${INTERACTION_BASE}/:uid`, requirePatient, async (req, res) => {
    if (req.actor!.acting)
      return res
        .status(403)
        .render('errors/403.njk', { pageTitle: 'Accès refusé', message: 'Revenez sur votre propre profil pour connecter un service.' })
    const interaction = await details(req, res)
    if (!interaction) return res.status(400).render('fhir/interaction-expired.njk', { pageTitle: 'La demande a expiré' })
    await consentPage(req, res, interaction)
  })

  router.post(`${INTERACTION_BASE}/:uid`, requirePatient, async (req, res) => {
    const actor = req.actor!
    if (actor.acting)
      return res
        .status(403)
        .render('errors/403.njk', { pageTitle: 'Accès refusé', message: 'Revenez sur votre propre profil pour connecter un service.' })
    const interaction = await details(req, res)
    if (!interaction) return res.status(400).render('fhir/interaction-expired.njk', { pageTitle: 'La demande a expiré' })
    const client = await clients.get(interaction.params.client_id)
    if (!client || client.disabled) throw notFound()
    if (req.body.decision === 'refuse') {
      return oidc.interactionFinished(
        req,
        res,
        toNativeRealm({ error: 'access_denied', error_description: 'La personne a refusé' }),
        toNativeRealm({ mergeWithLastSubmission: false }),
      )
    }
    const offer = await connections.offerable(client.id, actor.personId!)
    const requested = serviceScopesOf(interaction.params.scope).filter((s) => client.scopes.includes(s) && (!offer || offer.includes(s)))
    const chosen = ticked(req.body).filter((s) => requested.includes(s))
    const errors = emptyErrors()
    if (chosen.length === 0) addError(errors, 'scopes', 'Cochez au moins une donnée à partager, ou choisissez «Refuser»')
    if (hasErrors(errors)) return consentPage(req, res, interaction, errors)

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
    if (refused.length)
      (grant as unknown as { rejectResourceScope(r: string, s: string): void }).rejectResourceScope(audience, refused.join(' '))
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
  router.get(CONNECTED, requirePatient, async (req, res) => {
    const list = await connections.list(req.actor!)
    res.render('fhir/connected.njk', {
      pageTitle: 'Services connectés',
      connections: list.map((c) => ({ ...c, labels: c.scopes.map((s) => SERVICE_SCOPES[s].label) })),
      own: !req.actor!.acting,
    })
  })

  router.post(`${CONNECTED}/:clientId/desynchroniser`, requirePatient, async (req, res) => {
    const actor = req.actor!
    if (actor.acting)
      return res
        .status(403)
        .render('errors/403.njk', { pageTitle: 'Accès refusé', message: 'Revenez sur votre propre profil pour gérer vos services.' })
    const client = await clients.get(String(req.params.clientId))
    if (!client || !(await connections.disconnect(actor, client.id))) throw notFound()
    req.session.flash = { type: 'success', text: `${client.name} est désynchronisé : il n'a plus accès à vos données.` }
    res.redirect(303, CONNECTED)
  })

  // Back office: registration of the clients of connected services.
  router.get(CLIENTS, requireOperator, async (req, res) => {
    const shown = req.session.journeys?.clientSecret as { id: string; secret: string } | undefined
    if (shown) {
      const j = { ...req.session.journeys }
      delete j.clientSecret
      req.session.journeys = j
    }
    res.render('fhir/clients.njk', { pageTitle: 'Services connectés : clients OAuth', clients: await clients.list(), shown })
  })

  const allScopes = Object.keys(SERVICE_SCOPES) as ServiceScope[]
  router.get(`${CLIENTS}/nouveau`, requireOperator, (_req, res) => {
    res.render('fhir/client-new.njk', { pageTitle: 'Enregistrer un service', values: {}, items: scopeItems(allScopes, new Set()) })
  })

  router.post(`${CLIENTS}/nouveau`, requireOperator, async (req, res) => {
    const errors = emptyErrors()
    const name = String(req.body.name ?? '').trim()
    const urisText = String(req.body.redirectUris ?? '')
    const catalogueServiceId = String(req.body.catalogueServiceId ?? '').trim()
    const scopes = ticked(req.body)
    if (!name) addError(errors, 'name', 'Saisissez le nom du service')
    else if (name.length > 200) addError(errors, 'name', 'Le nom du service doit contenir 200 caractères au plus')
    const uris = urisText.split(/\s+/).filter(Boolean)
    if (uris.length === 0) addError(errors, 'redirectUris', 'Saisissez au moins une adresse de retour')
    else {
      for (const u of uris) {
        let url: URL | undefined
        try {
          url = new URL(u)
        } catch {
          /* below */
        }
        const local = url && (url.hostname === 'localhost' || url.hostname === '127.0.0.1')
        if (!url || url.hash || !(url.protocol === 'https:' || (url.protocol === 'http:' && local))) {
          addError(errors, 'redirectUris', `Adresse de retour invalide : ${u.slice(0, 100)} (https obligatoire, sans #)`)
          break
        }
      }
    }
    if (scopes.length === 0) addError(errors, 'scopes', 'Cochez au moins une donnée que le service peut demander')
    if (catalogueServiceId.length > 64)
      addError(errors, 'catalogueServiceId', "L'identifiant du catalogue doit contenir 64 caractères au plus")
    if (hasErrors(errors)) {
      return res.status(400).render('fhir/client-new.njk', {
        pageTitle: 'Enregistrer un service',
        values: { name, redirectUris: urisText, catalogueServiceId },
        items: scopeItems(allScopes, new Set(scopes)),
        errors,
      })
    }
    const created = await clients.create(req.actor!, {
      name,
      redirectUris: uris,
      scopes,
      catalogueServiceId: catalogueServiceId || undefined,
    })
    req.session.journeys = { ...(req.session.journeys ?? {}), clientSecret: created }
    res.redirect(303, CLIENTS)
  })

  router.post(`${CLIENTS}/:id/secret`, requireOperator, async (req, res) => {
    const id = String(req.params.id)
    const secret = await clients.rotateSecret(req.actor!, id)
    if (!secret) throw notFound()
    req.session.journeys = { ...(req.session.journeys ?? {}), clientSecret: { id, secret } }
    res.redirect(303, CLIENTS)
  })

  return router
}
