import { Router, type Response } from 'express'
import { signedInRoutes } from '../../middleware/auth'
import { readMultipart } from '../../middleware/multipart'
import type { Services } from '../../services'
import type { Actor } from '../../domain/actor'
import { addError, emptyErrors, type FormErrors } from '../../validation'
import { REIMBURSEMENT_IMPORT_MAX_BYTES } from '../../domain/reimbursementRow'
import { formBody } from '../../middleware/forms'

const one = (v: unknown): string => (typeof v === 'string' ? v : '')

/**
 * «Mon histoire de santé» for the patient (`/remboursements`), and the operators' import
 * (`/back-office/remboursements`).
 */
export function reimbursementsRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const forOperators = signedInRoutes(router, 'operator')
  const { reimbursements } = services

  forPatients.get('/remboursements', async (req, res, actor) => {
    const yearRaw = one(req.query.annee)
    const year = /^\d{4}$/.test(yearRaw) ? Number(yearRaw) : undefined
    const view = await reimbursements.overview(actor, { year, careType: one(req.query.type) || undefined })
    res.render('reimbursements/list.njk', { pageTitle: 'Mes remboursements', ...view, careTypes: reimbursements.careTypes })
  })

  forPatients.post('/remboursements/visibilite', async (req, res, actor) => {
    const hidden = [formBody(req).masquer ?? []].flat().includes('oui')
    await reimbursements.setHidden(actor, hidden)
    req.session.flash = {
      type: 'success',
      text: hidden
        ? 'Vos remboursements sont masqués aux professionnels de santé.'
        : 'Vos remboursements sont de nouveau visibles par les professionnels de santé qui ont accès à votre profil.',
    }
    res.redirect(303, '/remboursements')
  })

  const renderImport = async (res: Response, actor: Actor, status = 200, errors?: FormErrors) => {
    const imports = await reimbursements.recentImports(actor)
    res.status(status).render('reimbursements/import.njk', {
      pageTitle: 'Importer des remboursements',
      imports,
      errors,
      maxMo: REIMBURSEMENT_IMPORT_MAX_BYTES / 1024 / 1024,
    })
  }

  forOperators.get('/back-office/remboursements', (_req, res, actor) => renderImport(res, actor))

  forOperators.post('/back-office/remboursements', async (req, res, actor) => {
    const result = await readMultipart<{ id?: string; refused?: string }>(req, {
      onFile: async (file) => {
        if (!file.filename) {
          file.stream.resume()
          return {}
        }
        if (!/\.(csv|txt)$/i.test(file.filename)) {
          file.stream.resume()
          return { refused: 'Le fichier doit être au format CSV (nom se terminant par .csv)' }
        }
        return { id: await reimbursements.importCsv(actor, file.filename, file.stream, { truncated: file.truncated }) }
      },
    })
    if (!result.file || (!result.file.id && !result.file.refused))
      return renderImport(res, actor, 400, addError(emptyErrors(), 'fichier', 'Choisissez un fichier CSV à importer'))
    if (result.file.refused) return renderImport(res, actor, 400, addError(emptyErrors(), 'fichier', result.file.refused))
    res.redirect(303, `/back-office/remboursements/imports/${result.file.id}`)
  })

  forOperators.get('/back-office/remboursements/imports/:id', async (req, res, actor) => {
    const report = await reimbursements.importReport(actor, String(req.params.id))
    res.render('reimbursements/import-report.njk', { pageTitle: "Rapport d'import des remboursements", report })
  })

  return router
}
