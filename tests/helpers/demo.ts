import { DEMO_CODES, DEMO_PASSWORDS, DEMO_PERSONS, DEMO_PROFESSIONALS } from '../../src/seed/demo'
import { DEMO_JOURNEYS } from '../../src/seed/journeys'

/** The demo accounts of SPEC §13, for tests. */
export const CAMILLE = {
  login: 'camille.martin',
  password: DEMO_PASSWORDS.camille,
  email: DEMO_PERSONS.camille.email,
  nir: DEMO_PERSONS.camille.nir,
}
export const NADIA = { login: 'nadia.roux', password: DEMO_PASSWORDS.nadia, email: 'nadia.roux@courriel.example' }
export const LOUIS = { login: 'louis.garnier', password: DEMO_PASSWORDS.louis, email: 'louis.garnier@courriel.example' }
export const PROS = {
  bernard: {
    login: DEMO_PROFESSIONALS.bernard.rpps,
    password: DEMO_PROFESSIONALS.bernard.password,
    email: DEMO_PROFESSIONALS.bernard.email,
  },
  haddad: { login: DEMO_PROFESSIONALS.haddad.rpps, password: DEMO_PROFESSIONALS.haddad.password, email: DEMO_PROFESSIONALS.haddad.email },
  moreau: { login: DEMO_PROFESSIONALS.moreau.rpps, password: DEMO_PROFESSIONALS.moreau.password, email: DEMO_PROFESSIONALS.moreau.email },
  petit: { login: DEMO_PROFESSIONALS.petit.rpps, password: DEMO_PROFESSIONALS.petit.password, email: DEMO_PROFESSIONALS.petit.email },
}
export { DEMO_CODES, DEMO_PERSONS }

/** Issue 19's demo people: a person in a bilan-prévention age band (Camille's carer), the SAMU doctor, Chloé (17 y 10 m). */
export const HELENE = {
  login: DEMO_JOURNEYS.helene.login,
  password: DEMO_JOURNEYS.helene.password,
  email: DEMO_JOURNEYS.helene.email,
  nir: DEMO_JOURNEYS.helene.nir,
}
export const SAMU = { login: DEMO_JOURNEYS.samu.rpps, password: DEMO_JOURNEYS.samu.password, email: DEMO_JOURNEYS.samu.email }
export { DEMO_JOURNEYS }
