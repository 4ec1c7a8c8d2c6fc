import { frenchDate } from '../../domain/parisTime'
import { Router } from 'express'
import { DOSES, VACCINES } from '../../domain/vaccines'
import { requirePatient } from '../../middleware/auth'
import type { Services } from '../../services'
import { dateValue, readVaccination, typedValues } from '../agenda/forms'

const BASE = '/profil-medical/vaccinations'

/** «Vaccinations» (SPEC §7): list, add, edit, delete; they feed «Examens et vaccins recommandés». */
export function vaccinationRoutes(services: Services): Router {
  const router = Router()
  const { vaccinations } = services
  router.use(BASE, requirePatient)
  const choices = {
    vaccines: VACCINES.map((v) => ({ value: v.code, text: v.label })),
    doses: DOSES.map((d) => ({ value: d.value, text: d.label })),
  }

  router.get(BASE, async (req, res) => {
    res.render('vaccinations/index.njk', {
      pageTitle: 'Vaccinations',
      items: await vaccinations.list(req.actor!),
      profileName: req.actor!.acting?.displayName,
    })
  })

  router.get(`${BASE}/ajouter`, (_req, res) =>
    res.render('vaccinations/form.njk', { pageTitle: 'Ajouter une vaccination', values: {}, action: `${BASE}/ajouter`, ...choices }),
  )

  router.post(`${BASE}/ajouter`, async (req, res) => {
    const { errors, fields } = readVaccination(req.body, await vaccinations.birthDate(req.actor!))
    if (!fields)
      return res.status(400).render('vaccinations/form.njk', {
        pageTitle: 'Ajouter une vaccination',
        values: typedValues(req.body),
        errors,
        action: `${BASE}/ajouter`,
        ...choices,
      })
    await vaccinations.add(req.actor!, fields)
    req.session.flash = { type: 'success', text: 'La vaccination est enregistrée.' }
    res.redirect(303, BASE)
  })

  router.get(`${BASE}/:id/modifier`, async (req, res) => {
    const v = await vaccinations.get(req.actor!, req.params.id)
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

  router.post(`${BASE}/:id/modifier`, async (req, res) => {
    const v = await vaccinations.get(req.actor!, req.params.id)
    const { errors, fields } = readVaccination(req.body, await vaccinations.birthDate(req.actor!))
    if (!fields)
      return res.status(400).render('vaccinations/form.njk', {
        pageTitle: 'Modifier la vaccination',
        values: typedValues(req.body),
        errors,
        action: `${BASE}/${v.id}/modifier`,
        edit: true,
        ...choices,
      })
    await vaccinations.update(req.actor!, v.id, fields)
    req.session.flash = { type: 'success', text: 'La vaccination est modifiée.' }
    res.redirect(303, BASE)
  })

  router.get(`${BASE}/:id/supprimer`, async (req, res) => {
    const item = await vaccinations.get(req.actor!, req.params.id)
    // A title of its own (issue 16 §5): which vaccination, which day.
    res.render('vaccinations/delete.njk', { pageTitle: `Supprimer la vaccination « ${item.label} » du ${frenchDate(item.date)}`, item })
  })

  router.post(`${BASE}/:id/supprimer`, async (req, res) => {
    await vaccinations.remove(req.actor!, req.params.id)
    req.session.flash = { type: 'success', text: 'La vaccination est supprimée.' }
    res.redirect(303, BASE)
  })

  return router
}
