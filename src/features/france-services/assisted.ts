import type { Request } from 'express'
import type { Services } from '../../services'
import { formatNir } from '../../domain/nir'
import type { IdentityValues } from '../spaces/forms'

/**
 * An assisted session opened from a person's page starts with that person already identified (issue 16
 * §4): the citizen's journeys (activate, oppose, new code) show the NIR and date of birth the agent
 * checked against an identity document. The citizen still types the code and every secret.
 */
export async function counterIdentity(req: Request, services: Services): Promise<IdentityValues & { fromCounter?: boolean }> {
  const person = req.session.assisted?.person
  if (!person) return {}
  const id = await services.franceServices.assistedIdentity(person.id)
  if (!id) return {}
  const [year, month, day] = id.birthDate.split('-')
  return { nir: formatNir(id.nir), birthDate: { day: String(Number(day)), month: String(Number(month)), year }, fromCounter: true }
}
