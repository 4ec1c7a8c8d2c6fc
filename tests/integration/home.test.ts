import { createTestApp, type TestApp } from '../helpers/testApp'
import { CAMILLE, DEMO_PERSONS } from '../helpers/demo'
import type { Actor } from '../../src/domain/actor'

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
    await t.db('representative_invitations').insert({ child_person_id: leoId, invited_by_person_id: other.id, invitee_person_id: camille.personId, expires_at: new Date(Date.now() + 86_400_000) })
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
    expect(home.lastAccesses.length).toBeGreaterThan(0)
    expect(home).toEqual(await separately(camille))
  })

  it('sur le profil de Léo (représentante) : mêmes données, sans invitations', async () => {
    const acting: Actor = { ...camille, acting: { personId: leoId, as: 'representative', displayName: 'Léo Martin' } }
    const home = await t.services.home.patientHome(acting)
    expect(home.invitations).toEqual([])
    expect(home).toEqual(await separately(acting))
  })

  it("un aidant sans délégation : la politique d'accès refuse l'historique, aucun dernier accès", async () => {
    // Léo's account «acting as carer» on Camille's profile without any delegation: Camille's history has
    // professional accesses, the policy must hide them.
    const carer: Actor = { ...camille, acting: { personId: camille.personId!, as: 'carer', displayName: 'Camille Martin' }, personId: leoId }
    const home = await t.services.home.patientHome(carer)
    expect(home.lastAccesses).toEqual([])
    expect(home).toEqual(await separately(carer))
  })
})
