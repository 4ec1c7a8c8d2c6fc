import crypto from 'node:crypto'
import { requestKey } from '../domain/consent'
import { scopesOfRequests } from '../domain/serviceScopes'
import { CATALOGUE } from '../features/catalogue/data'
import { fhirRepository } from '../features/fhir/repository'
import { seal } from '../infrastructure/crypto'
import { DEMO_SCALE, scaleRedirectUri, scaleStartUri } from '../demo/scaleSimulator'
import type { SeedStep } from './demo'

const DAY = 24 * 60 * 60 * 1000

/**
 * Demo data of the catalogue. Every service is backed by a registered OAuth client of the FHIR API
 * (its data categories as scopes, a secret nobody knows: operators rotate it in the back office),
 * except Withings Health Mate's, the demo scale (`npm run simulateur:balance`): a known secret and a
 * local start and return address. Camille's connections are real consents of these real clients:
 * Withings Health Mate and Vidal Ma santé; Vidal then asked to read her medical profile (version 2),
 * so her space shows «Ce service demande de nouvelles autorisations».
 */
export const catalogueSeed: SeedStep = async (trx, ctx) => {
  // The services themselves come with the migration 20261124_0901 (reference data).
  const rows: { id: string; slug: string }[] = await trx('catalogue_services').select('id', 'slug')
  const ids = Object.fromEntries(rows.map((r) => [r.slug, r.id]))
  for (const service of CATALOGUE) {
    const demo = service.slug === DEMO_SCALE.serviceSlug
    await fhirRepository.insertClient(trx, {
      id: demo ? DEMO_SCALE.clientId : `svc_${service.slug}`,
      name: service.name,
      redirect_uris: demo ? [scaleRedirectUri(DEMO_SCALE.port)] : [`${service.website}/mon-espace-sante/retour`],
      allowed_scopes: scopesOfRequests(service.requests.map(requestKey)),
      catalogue_service_id: ids[service.slug],
      initiate_login_uri: demo ? scaleStartUri(DEMO_SCALE.port) : null,
      secret_sealed: seal(ctx.documentMasterKey, demo ? DEMO_SCALE.clientSecret : crypto.randomBytes(32).toString('base64url')),
    })
  }
  const camille = ctx.persons.camille
  const withings = CATALOGUE.find((s) => s.slug === 'withings-health-mate')!
  await trx('service_connections').insert({
    person_id: camille,
    service_id: ids[withings.slug],
    version: 1,
    asked: withings.requests.map(requestKey),
    granted: withings.requests.map(requestKey),
    consented_by_account_id: ctx.accounts.camille,
    consented_at: new Date(ctx.now.getTime() - 200 * DAY),
  })
  const vidal = CATALOGUE.find((s) => s.slug === 'vidal-ma-sante')!
  await trx('service_connections').insert({
    person_id: camille,
    service_id: ids[vidal.slug],
    version: 1,
    asked: vidal.requests.map(requestKey),
    granted: vidal.requests.map(requestKey),
    consented_by_account_id: ctx.accounts.camille,
    consented_at: new Date(ctx.now.getTime() - 120 * DAY),
  })
  await trx('catalogue_services').where({ id: ids[vidal.slug] }).update({ current_version: 2 })
  await trx('catalogue_service_versions').insert({
    service_id: ids[vidal.slug],
    version: 2,
    published_at: new Date(ctx.now.getTime() - 10 * DAY),
    requests: JSON.stringify([...vidal.requests, { category: 'profil', access: 'read' }]),
  })
  // The last 90-day reminder was sent 30 days ago.
  await trx('service_reminders').insert({ person_id: camille, sent_at: new Date(ctx.now.getTime() - 30 * DAY) })
}
