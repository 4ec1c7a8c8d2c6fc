import { Router, type Request, type Response } from 'express'
import type { Services } from '../../services'
import { requireOperator, signedInRoutes } from '../../middleware/auth'
import type { Actor } from '../../domain/actor'
import { isCategory } from '../../domain/documents'
import { addError, emptyErrors, hasErrors, type FormErrors } from '../../validation'
import { MATRIX_REASON_MAX } from './accessMatrix'
import { LIMITS, checkServiceForm, serviceFormValues, type AdminService, type ServiceFormValues } from './catalogueAdmin'
import { formBody } from '../../middleware/forms'

const MATRIX = "Matrice d'accès"
const CATALOGUE = 'Catalogue de services'

/**
 * The back office's reference data (issue 7): «Matrice d'accès» (profession × document category)
 * and «Catalogue de services» (add, edit, publish, withdraw). Operators only: `requireOperator`
 * here, and `canBackOffice` (src/domain/accessPolicy.ts) in each service.
 */
export function backOfficeAdminRoutes(services: Services): Router {
  const router = Router()
  const forOperators = signedInRoutes(router, 'operator')
  const { accessMatrix, catalogueAdmin } = services
  router.use(['/back-office/matrice-acces', '/back-office/catalogue'], requireOperator)

  // «Matrice d'accès».
  forOperators.get('/back-office/matrice-acces', async (_req, res, actor) => {
    const [rows, changes] = await Promise.all([accessMatrix.matrix(actor), accessMatrix.changes(actor)])
    res.render('back-office/matrix.njk', { pageTitle: MATRIX, rows, categories: accessMatrix.categories, changes })
  })

  const renderProfession = async (
    req: Request,
    res: Response,
    actor: Actor,
    status = 200,
    errors?: FormErrors,
    values?: { readable: string[]; reason: string },
  ) => {
    const row = await accessMatrix.profession(actor, String(req.params.profession))
    res.status(status).render('back-office/matrix-edit.njk', {
      pageTitle: `Modifier les accès : ${row.label}`,
      row,
      categories: accessMatrix.categories,
      values: values ?? { readable: row.readable, reason: '' },
      maxReason: MATRIX_REASON_MAX,
      errors,
    })
  }

  forOperators.get('/back-office/matrice-acces/:profession', (req, res, actor) => renderProfession(req, res, actor))

  forOperators.post('/back-office/matrice-acces/:profession', async (req, res, actor) => {
    const readable = [formBody(req)['categories[]'] ?? []].flat().map(String).slice(0, 40)
    const reason = String(formBody(req).reason ?? '').trim()
    const errors = emptyErrors()
    if (readable.some((c) => !isCategory(c))) addError(errors, 'categories', 'Choisissez parmi les catégories proposées', 'categories')
    if (!reason) addError(errors, 'reason', 'Saisissez le motif de la modification')
    else if (reason.length > MATRIX_REASON_MAX)
      addError(errors, 'reason', `Le motif doit contenir ${MATRIX_REASON_MAX} caractères au maximum (vous en avez saisi ${reason.length})`)
    if (hasErrors(errors))
      return renderProfession(req, res, actor, 400, errors, {
        readable: readable.filter(isCategory),
        reason: String(formBody(req).reason ?? '').slice(0, 1000),
      })
    const d = await accessMatrix.update(actor, req.params.profession, readable, reason)
    req.session.flash =
      d.added.length || d.removed.length
        ? {
            type: 'success',
            text: "La matrice d'accès est enregistrée. Elle s'applique dès maintenant à tous les professionnels concernés.",
          }
        : { type: 'info', text: "Aucune modification : la matrice d'accès est inchangée." }
    res.redirect(303, '/back-office/matrice-acces')
  })

  // «Catalogue de services».
  forOperators.get('/back-office/catalogue', async (_req, res, actor) => {
    const [list, changes] = await Promise.all([catalogueAdmin.list(actor), catalogueAdmin.changes(actor)])
    res.render('back-office/catalogue-list.njk', { pageTitle: CATALOGUE, list, changes })
  })

  const renderForm = (res: Response, opts: { status?: number; service?: AdminService; values: ServiceFormValues; errors?: FormErrors }) =>
    res.status(opts.status ?? 200).render('back-office/catalogue-form.njk', {
      pageTitle: opts.service ? `Modifier ${opts.service.name}` : 'Ajouter un service au catalogue',
      service: opts.service,
      values: opts.values,
      categories: catalogueAdmin.categories,
      requestChoices: catalogueAdmin.requestChoices,
      limits: LIMITS,
      errors: opts.errors,
    })

  const empty: ServiceFormValues = { name: '', publisher: '', category: '', description: '', website: '', requests: [] }

  router.get('/back-office/catalogue/nouveau', (_req, res) => renderForm(res, { values: empty }))

  forOperators.post('/back-office/catalogue/nouveau', async (req, res, actor) => {
    const values = serviceFormValues(formBody(req))
    const checked = checkServiceForm(values)
    if (!checked.ok) return renderForm(res, { status: 400, values, errors: checked.errors })
    const r = await catalogueAdmin.create(actor, checked.input)
    if (!r.ok) return renderForm(res, { status: 400, values, errors: r.errors })
    req.session.flash = {
      type: 'success',
      text: "Le service est ajouté en brouillon : publiez-le pour qu'il apparaisse dans le catalogue.",
    }
    res.redirect(303, `/back-office/catalogue/${r.id}`)
  })

  forOperators.get('/back-office/catalogue/:id', async (req, res, actor) => {
    const service = await catalogueAdmin.find(actor, req.params.id)
    const changes = await catalogueAdmin.changes(actor, { id: service.id })
    res.render('back-office/catalogue-service.njk', { pageTitle: service.name, service, changes })
  })

  forOperators.get('/back-office/catalogue/:id/modifier', async (req, res, actor) => {
    const service = await catalogueAdmin.find(actor, req.params.id)
    const { name, publisher, category, description, website, requests } = service
    renderForm(res, { service, values: { name, publisher, category, description, website: website ?? '', requests } })
  })

  forOperators.post('/back-office/catalogue/:id/modifier', async (req, res, actor) => {
    const service = await catalogueAdmin.find(actor, req.params.id)
    const values = serviceFormValues(formBody(req))
    const checked = checkServiceForm(values)
    if (!checked.ok) return renderForm(res, { status: 400, service, values, errors: checked.errors })
    const r = await catalogueAdmin.update(actor, service.id, checked.input)
    if (!r.ok) return renderForm(res, { status: 400, service, values, errors: r.errors })
    req.session.flash = !r.changed.length
      ? { type: 'info', text: 'Aucune modification : le service est inchangé.' }
      : r.version
        ? {
            type: 'success',
            text: `Le service est modifié. Ses données demandées forment la version ${r.version} : les personnes qui l'ont connecté devront accepter les nouvelles demandes.`,
          }
        : { type: 'success', text: 'Le service est modifié.' }
    res.redirect(303, `/back-office/catalogue/${service.id}`)
  })

  for (const [path, status] of [
    ['publier', 'published'],
    ['retirer', 'withdrawn'],
  ] as const) {
    forOperators.post(`/back-office/catalogue/:id/${path}`, async (req, res, actor) => {
      const service = await catalogueAdmin.find(actor, req.params.id)
      const done = await catalogueAdmin.setStatus(actor, service.id, status)
      req.session.flash = !done
        ? { type: 'info', text: 'Le service était déjà dans cet état.' }
        : status === 'published'
          ? { type: 'success', text: 'Le service est publié : il apparaît dans le catalogue.' }
          : { type: 'success', text: "Le service est retiré du catalogue : il n'a plus accès aux profils qui l'avaient connecté." }
      res.redirect(303, `/back-office/catalogue/${service.id}`)
    })
  }

  return router
}
