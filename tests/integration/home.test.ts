import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS } from '../helpers/demo'
import type { Actor } from '../../src/domain/actor'
import { findActorRow } from '../../src/access/relations'

/**
 * The patient home page reads its blocks in one statement (`services.home.patientHome`): it must give
 * exactly what the separate use cases give (children, invitations, last professional accesses, the
 * access policy deciding on the last accesses).
 */
describe('accueil du patient : une seule instruction, les mêmes données', () => {
  let t: TestApp
  let camille: Actor
  let leoId: string
  beforeAll(async () => {
    t = await createTestApp()
    const account = await t.db('accounts').where({ login: CAMILLE.login }).first()
    camille = { accountId: account.id, kind: 'patient', displayName: account.display_name, personId: account.person_id }
    leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
    // A pending invitation for Camille, so that the invitations block is not empty.
    const other = await t.db('insured_persons').whereNotIn('id', [camille.personId!, leoId]).first('id')
    await t.db('representative_invitations').insert({
      child_person_id: leoId,
      invited_by_person_id: other.id,
      invitee_person_id: camille.personId,
      expires_at: new Date(Date.now() + 86_400_000),
    })
  })
  afterAll(async () => {
    await t.close()
  })

  async function separately(actor: Actor) {
    const subject = actor.acting?.personId ?? actor.personId!
    const [children, invitations, lastAccesses] = await Promise.all([
      t.services.children.managed(actor),
      actor.acting ? [] : t.services.children.invitations(actor),
      t.services.history.lastProfessionalAccesses(actor, subject),
    ])
    return { children, invitations, lastAccesses }
  }

  it('Camille sur son profil : enfants, invitation et derniers accès identiques', async () => {
    const home = await t.services.home.patientHome(camille)
    expect(home.children.length).toBeGreaterThan(0)
    expect(home.invitations.length).toBe(1)
    expect(home.lastAccesses!.length).toBeGreaterThan(0)
    expect(home).toEqual(await separately(camille))
  })

  it('sur le profil de Léo (représentante) : mêmes données, sans invitations', async () => {
    const acting: Actor = { ...camille, acting: { personId: leoId, as: 'representative', displayName: 'Léo Martin' } }
    const home = await t.services.home.patientHome(acting)
    expect(home.invitations).toEqual([])
    expect(home).toEqual(await separately(acting))
  })

  it("un aidant sans délégation : la politique d'accès refuse l'historique, la page n'en dit rien (pas de faux « aucun »)", async () => {
    // Léo's account «acting as carer» on Camille's profile without any delegation: Camille's history has
    // professional accesses, the policy must hide them.
    const carer: Actor = {
      ...camille,
      acting: { personId: camille.personId!, as: 'carer', displayName: 'Camille Martin' },
      personId: leoId,
    }
    const home = await t.services.home.patientHome(carer)
    expect(home.lastAccesses).toBeNull()
    expect(await t.services.history.lastProfessionalAccesses(carer, camille.personId!)).toEqual([])
    expect(home).toEqual({ ...(await separately(carer)), lastAccesses: null })
  })

  it("avec l'acteur dans la même instruction : le même acteur et le même accueil ; un compte bloqué n'a rien", async () => {
    const request = {}
    const row = await t.services.home.actorPageRead.read(request, camille.accountId)
    expect(row).toEqual(await findActorRow(t.db, camille.accountId, null, 'patient'))
    expect(row?.unread_messages).toEqual(expect.any(Number))
    const home = await t.services.home.patientHome(camille, request)
    expect(home.lastAccesses!.length).toBeGreaterThan(0)
    expect(home).toEqual(await separately(camille))
    // An account that is not a patient's, or a disabled one: no row, the actor is read alone. Requests
    // that come together share one statement, each with its own answer.
    const operator = await t.db('accounts').where({ kind: 'operator' }).first('id')
    const together = await Promise.all(
      [camille.accountId, operator.id, camille.accountId, 'pas-un-uuid'].map((id) => t.services.home.actorPageRead.read({}, id)),
    )
    expect(together).toEqual([row, undefined, row, undefined])
    await t.db('accounts').where({ id: camille.accountId }).update({ disabled_at: new Date() })
    try {
      expect(await t.services.home.actorPageRead.read({}, camille.accountId)).toBeUndefined()
    } finally {
      await t.db('accounts').where({ id: camille.accountId }).update({ disabled_at: null })
    }
  })

  it('GET /mon-espace connectée : la page, puis dès le blocage du compte, la connexion', async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const page = await a.get('/mon-espace')
    expect(page.status).toBe(200)
    expect(page.headers['cache-control']).toBe('no-store')
    const $ = cheerio.load(page.text)
    expect($('h1').text()).toContain('Camille')
    expect($('input[name="_csrf"]').first().attr('value')).toBeTruthy()
    await t.db('accounts').where({ id: camille.accountId }).update({ disabled_at: new Date() })
    try {
      const blocked = await a.get('/mon-espace')
      expect(blocked.status).toBe(303)
      expect(blocked.headers.location).toBe('/connexion')
    } finally {
      await t.db('accounts').where({ id: camille.accountId }).update({ disabled_at: null })
    }
  })
})
