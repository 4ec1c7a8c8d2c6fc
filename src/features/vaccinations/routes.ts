import { frenchDate } from '../../domain/parisTime'
import { Router } from 'express'
import { DOSES, VACCINES } from '../../domain/vaccines'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import type { Services } from '../../services'
import { dateValue, readVaccination, typedValues } from '../agenda/forms'
import { formBody } from '../../middleware/forms'

const BASE = '/profil-medical/vaccinations'

/** «Vaccinations» (SPEC §7): list, add, edit, delete; they feed «Examens et vaccins recommandés». */
export function vaccinationRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { vaccinations } = services
  router.use(BASE, requirePatient)
  const choices = {
    vaccines: VACCINES.map((v) => ({ value: v.code, text: v.label })),
    doses: DOSES.map((d) => ({ value: d.value, text: d.label })),
  }

  forPatients.get(BASE, async (_req, res, actor) => {
    res.render('vaccinations/index.njk', {
      pageTitle: 'Vaccinations',
      items: await vaccinations.list(actor),
      profileName: actor.acting?.displayName,
    })
  })

  router.get(`${BASE}/ajouter`, (_req, res) =>
    res.render('vaccinations/form.njk', { pageTitle: 'Ajouter une vaccination', values: {}, action: `${BASE}/ajouter`, ...choices }),
  )

  forPatients.post(`${BASE}/ajouter`, async (req, res, actor) => {
    const { errors, fields } = readVaccination(formBody(req), await vaccinations.birthDate(actor))
    if (!fields)
      return res.status(400).render('vaccinations/form.njk', {
        pageTitle: 'Ajouter une vaccination',
        values: typedValues(formBody(req)),
        errors,
        action: `${BASE}/ajouter`,
        ...choices,
      })
    await vaccinations.add(actor, fields)
    req.session.flash = { type: 'success', text: 'La vaccination est enregistrée.' }
    res.redirect(303, BASE)
  })

  forPatients.get(`${BASE}/:id/modifier`, async (req, res, actor) => {
    const v = await vaccinations.get(actor, req.params.id)
    const values = {
      vaccine: v.vaccine,
      otherName: v.other_name ?? '',
      date: dateValue(v.date),
      dose: v.dose,
      professional: v.professional,
      lot: v.lot ?? '',
    }
    res.render('vaccinations/form.njk', {
      pageTitle: 'Modifier la vaccination',
      values,
      action: `${BASE}/${v.id}/modifier`,
      edit: true,
      ...choices,
    })
  })

  forPatients.post(`${BASE}/:id/modifier`, async (req, res, actor) => {
    const v = await vaccinations.get(actor, req.params.id)
    const { errors, fields } = readVaccination(formBody(req), await vaccinations.birthDate(actor))
    if (!fields)
      return res.status(400).render('vaccinations/form.njk', {
        pageTitle: 'Modifier la vaccination',
        values: typedValues(formBody(req)),
        errors,
        action: `${BASE}/${v.id}/modifier`,
        edit: true,
        ...choices,
      })
    await vaccinations.update(actor, v.id, fields)
    req.session.flash = { type: 'success', text: 'La vaccination est modifiée.' }
    res.redirect(303, BASE)
  })

  forPatients.get(`${BASE}/:id/supprimer`, async (req, res, actor) => {
    const item = await vaccinations.get(actor, req.params.id)
    // A title of its own (issue 16 §5): which vaccination, which day.
    res.render('vaccinations/delete.njk', { pageTitle: `Supprimer la vaccination « ${item.label} » du ${frenchDate(item.date)}`, item })
  })

  forPatients.post(`${BASE}/:id/supprimer`, async (req, res, actor) => {
    await vaccinations.remove(actor, req.params.id)
    req.session.flash = { type: 'success', text: 'La vaccination est supprimée.' }
    res.redirect(303, BASE)
  })

  return router
}
