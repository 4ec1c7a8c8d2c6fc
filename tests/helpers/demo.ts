import { DEMO_CODES, DEMO_PASSWORDS, DEMO_PERSONS, DEMO_PROFESSIONALS } from '../../src/seed/demo'

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
