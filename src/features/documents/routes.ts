import { Router, type Request, type Response } from 'express'
import type { Services } from '../../services'
import { signedInRoutes } from '../../middleware/auth'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { MASKED_VISIBLE_TO } from '../../domain/accessPolicy'
import {
  CATEGORIES,
  MAX_TITLE_LENGTH,
  MIME_LABEL,
  PATIENT_CATEGORIES,
  categoryLabel,
  isPatientCategory,
  previewable,
} from '../../domain/documents'
import { readMultipart } from '../../middleware/multipart'
import { addError, checkDate, dateParts, emptyErrors, hasErrors, isRecord, type FormErrors } from '../../validation'
import { NotFoundError } from '../../errors'
import type { ListQuery } from './repository'
import type { RejectionReason } from './service'
import { formBody } from '../../middleware/forms'

export const REJECTION_MESSAGES: Record<RejectionReason, string> = {
  empty: 'Le fichier sélectionné est vide',
  too_large: 'Le fichier doit peser 10 Mo au maximum',
  type: 'Le fichier doit être un PDF, une image JPEG, PNG ou TIFF, ou un texte (TXT)',
  type_mismatch: "Le contenu du fichier ne correspond pas à l'extension de son nom : vérifiez qu'il s'agit du bon fichier",
  bad_name: "Le nom du fichier n'est pas accepté : renommez-le avec des lettres et des chiffres, puis réessayez",
  active_content:
    'Ce PDF contient du contenu actif (JavaScript, action de lancement ou fichier joint) et ne peut pas être ajouté. Enregistrez-le de nouveau en PDF simple (par exemple « Imprimer », puis « Enregistrer au format PDF »), puis réessayez',
  polyglot:
    'Ce fichier contient à la fois plusieurs types de fichier (par exemple une image qui contient aussi un PDF ou une archive ZIP) et ne peut pas être ajouté. Enregistrez-le de nouveau dans un seul format, puis réessayez',
}

/** Reads the filters of «Mes documents» from the query string (unknown values are ignored). */
export function readListQuery(q: Request['query']): { query: ListQuery; page: number; values: Record<string, string> } {
  const s = (k: string) => (typeof q[k] === 'string' ? q[k] : '')
  const category = CATEGORIES.some((c) => c.code === s('categorie')) ? s('categorie') : undefined
  const author = s('auteur') === 'moi' ? 'me' : s('auteur') === 'professionnels' ? 'professionals' : undefined
  const masked = s('masque') === 'oui' ? true : s('masque') === 'non' ? false : undefined
  const sort = s('tri') === 'date-croissante' ? 'date_asc' : s('tri') === 'titre' ? 'title' : 'date_desc'
  const page = Math.min(10000, Math.max(1, Number.parseInt(s('page'), 10) || 1))
  return {
    query: { category, author, masked, sort },
    page,
    values: { categorie: category ?? '', auteur: s('auteur'), masque: s('masque'), tri: s('tri') },
  }
}

/** Content-Disposition with a safe ASCII name (and the RFC 5987 form). */
export function contentDisposition(kind: 'attachment' | 'inline', fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_')
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(ascii)}`
}

/** Streams a document's decrypted content with safe headers. */
export async function sendContent(
  res: Response,
  content: { row: { mime: string; size_bytes: number; file_name: string }; chunks: AsyncGenerator<Buffer> },
  kind: 'attachment' | 'inline',
): Promise<void> {
  res.setHeader('Content-Type', content.row.mime === 'text/plain' ? 'text/plain; charset=utf-8' : content.row.mime)
  res.setHeader('Content-Length', String(content.row.size_bytes))
  res.setHeader('Content-Disposition', contentDisposition(kind, content.row.file_name))
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Cache-Control', 'no-store')
  if (kind === 'inline') {
    // Shown inside our own page only, with nothing active allowed.
    res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'")
    res.setHeader('X-Frame-Options', 'SAMEORIGIN')
  }
  try {
    for await (const chunk of content.chunks) {
      if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve))
      if (res.destroyed) break
    }
    res.end()
  } catch (err) {
    // Headers are gone: cut the connection so the client sees an incomplete file, never a wrong one.
    res.destroy(err instanceof Error ? err : undefined)
  }
}

const categoryItems = (selected: string | undefined, withEmpty: boolean, all = false) => [
  ...(withEmpty ? [{ value: '', text: all ? 'Toutes les catégories' : 'Choisissez une catégorie' }] : []),
  ...(all ? CATEGORIES : PATIENT_CATEGORIES).map((c) => ({ value: c.code, text: c.label, selected: c.code === selected })),
]

export function documentRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { documents } = services
  const personOf = (actor: Actor) => {
    const id = subjectPersonId(actor)
    if (!id) throw new NotFoundError()
    return id
  }

  forPatients.get('/documents', async (req, res, actor) => {
    const { query, page, values } = readListQuery(req.query)
    const result = await documents.list(actor, personOf(actor), query, page)
    const qs = (p: number) => {
      const params = new URLSearchParams()
      for (const [k, v] of Object.entries(values)) if (v) params.set(k, v)
      params.set('page', String(p))
      return `/documents?${params.toString()}`
    }
    res.render('documents/list.njk', {
      pageTitle: 'Mes documents',
      docs: result.rows.map((d) => ({ ...d, categoryLabel: categoryLabel(d.category) })),
      total: result.total,
      page: result.page,
      pages: result.pages,
      pagination: {
        previous: result.page > 1 ? { href: qs(result.page - 1) } : undefined,
        next: result.page < result.pages ? { href: qs(result.page + 1) } : undefined,
        items: Array.from({ length: result.pages }, (_, i) => ({ number: i + 1, href: qs(i + 1), current: i + 1 === result.page })).filter(
          (it) => it.number === 1 || it.number === result.pages || Math.abs(it.number - result.page) <= 2,
        ),
      },
      values,
      categoryItems: categoryItems(query.category, true, true),
    })
  })

  forPatients.get('/documents/ajouter', async (_req, res, actor) => {
    await documents.assertCanCreate(actor, personOf(actor))
    // A form kept after the idle limit (src/middleware/savedForms.ts) gets its category back too.
    const kept: unknown = res.locals.keptFields
    const category = isRecord(kept) && typeof kept.category === 'string' ? kept.category : undefined
    res.render('documents/add.njk', { pageTitle: 'Ajouter un document', values: {}, categoryItems: categoryItems(category, true) })
  })

  forPatients.post('/documents/ajouter', async (req, res, actor) => {
    const personId = personOf(actor)
    await documents.assertCanCreate(actor, personId)
    let errors: FormErrors = emptyErrors()
    let values: Record<string, string> = {}
    let createdId: string | undefined
    const parsed = await readMultipart(req, {
      onFile: async (file, fields) => {
        values = fields
        const checked = checkFields(fields)
        errors = checked.errors
        if (!file.filename) {
          addError(errors, 'file', 'Sélectionnez un fichier')
        }
        if (hasErrors(errors)) {
          // The file's own problem (wrong type...) is reported now, with the others.
          if (file.filename) {
            const reason = await documents.checkFile(file.stream, file.filename)
            if (reason) addError(errors, 'file', REJECTION_MESSAGES[reason])
          }
          file.stream.resume()
          return
        }
        const r = await documents.upload(actor, {
          personId,
          category: checked.category!,
          title: checked.title!,
          date: checked.date!,
          stream: file.stream,
          fileName: file.filename,
        })
        if (!r.ok) {
          file.stream.resume()
          addError(errors, 'file', REJECTION_MESSAGES[r.reason])
        } else createdId = r.id
      },
    })
    if (!createdId && !hasErrors(errors)) {
      // No file part at all (a client that left the input out).
      values = parsed.fields
      errors = checkFields(parsed.fields).errors
      addError(errors, 'file', 'Sélectionnez un fichier')
    }
    if (!createdId) {
      return res.status(400).render('documents/add.njk', {
        pageTitle: 'Ajouter un document',
        values,
        errors,
        categoryItems: categoryItems(values.category, true),
      })
    }
    req.session.flash = { type: 'success', text: 'Le document a été ajouté.' }
    res.redirect(303, `/documents/${createdId}`)
  })

  forPatients.get('/documents/parametres', async (_req, res, actor) => {
    const settings = await services.access.settingsOf(services.db, personOf(actor))
    res.render('documents/settings.njk', { pageTitle: 'Confidentialité des nouveaux documents', maskNew: settings.maskNewDocuments })
  })

  forPatients.post('/documents/parametres', async (req, res, actor) => {
    if (formBody(req).maskNew !== 'oui' && formBody(req).maskNew !== 'non') {
      const errors = addError(emptyErrors(), 'maskNew', 'Indiquez si les nouveaux documents sont masqués par défaut')
      return res.status(400).render('documents/settings.njk', { pageTitle: 'Confidentialité des nouveaux documents', errors })
    }
    await services.careTeam.setMaskNewDocuments(actor, personOf(actor), formBody(req).maskNew === 'oui')
    req.session.flash = { type: 'success', text: 'Votre choix est enregistré.' }
    res.redirect(303, '/documents')
  })

  forPatients.get('/documents/:id', async (req, res, actor) => {
    const v = await documents.get(actor, String(req.params.id), personOf(actor))
    const preview = previewable(v.row.mime)
    let text: string | undefined
    if (preview === 'text' && v.row.size_bytes <= 200 * 1024) {
      const c = await documents.content(actor, v.row.id, 'preview', personOf(actor))
      const parts: Buffer[] = []
      for await (const chunk of c.chunks) parts.push(chunk)
      text = Buffer.concat(parts).toString('utf8')
    }
    res.render('documents/show.njk', {
      pageTitle: v.row.title,
      doc: v.row,
      categoryLabel: categoryLabel(v.row.category),
      typeLabel: MIME_LABEL[v.row.mime] ?? v.row.mime,
      preview,
      text,
      canUpdate: v.canUpdate,
      canDelete: v.canDelete,
      canMask: v.canMask,
      canDownload: v.canDownload,
      byProfessional: v.row.author_kind === 'professional',
      maskedVisibleTo: MASKED_VISIBLE_TO,
      emergencyMasked: v.facts.settings.emergencyMasked,
    })
  })

  forPatients.get('/documents/:id/telecharger', async (req, res, actor) => {
    const c = await documents.content(actor, String(req.params.id), 'download', personOf(actor))
    await sendContent(res, c, 'attachment')
  })

  forPatients.get('/documents/:id/apercu', async (req, res, actor) => {
    const c = await documents.content(actor, String(req.params.id), 'preview', personOf(actor))
    if (!previewable(c.row.mime)) throw new NotFoundError()
    await sendContent(res, c, 'inline')
  })

  forPatients.get('/documents/:id/modifier', async (req, res, actor) => {
    const v = await documents.get(actor, String(req.params.id), personOf(actor))
    if (!v.canUpdate) return res.redirect(303, `/documents/${v.row.id}`)
    res.render('documents/edit.njk', {
      pageTitle: 'Modifier le document',
      doc: v.row,
      values: { title: v.row.title },
      categoryItems: categoryItems(v.row.category, false),
    })
  })

  forPatients.post('/documents/:id/modifier', async (req, res, actor) => {
    const id = String(req.params.id)
    const v = await documents.get(actor, id, personOf(actor))
    const errors = emptyErrors()
    const form = formBody(req)
    const title = typeof form.title === 'string' ? form.title.trim() : ''
    const category = form.category
    if (!title) addError(errors, 'title', 'Saisissez le titre du document')
    else if (title.length > MAX_TITLE_LENGTH) addError(errors, 'title', `Le titre doit contenir ${MAX_TITLE_LENGTH} caractères au maximum`)
    if (!isPatientCategory(category)) addError(errors, 'category', 'Choisissez une catégorie', 'category')
    if (hasErrors(errors) || !isPatientCategory(category)) {
      return res.status(400).render('documents/edit.njk', {
        pageTitle: 'Modifier le document',
        doc: v.row,
        values: { title: typeof form.title === 'string' ? form.title : '' },
        errors,
        categoryItems: categoryItems(typeof category === 'string' ? category : undefined, false),
      })
    }
    if (title !== v.row.title) await documents.rename(actor, id, title, personOf(actor))
    if (category !== v.row.category) await documents.recategorise(actor, id, category, personOf(actor))
    req.session.flash = { type: 'success', text: 'Le document a été modifié.' }
    res.redirect(303, `/documents/${id}`)
  })

  for (const [path, masked] of [
    ['masquer', true],
    ['demasquer', false],
  ] as const) {
    forPatients.post(`/documents/:id/${path}`, async (req, res, actor) => {
      const id = String(req.params.id)
      // The document must be in the space looked at: checked by the service before the change.
      await documents.setMasked(actor, id, masked, personOf(actor))
      req.session.flash = {
        type: 'success',
        text: masked ? 'Le document est masqué aux professionnels de santé.' : "Le document n'est plus masqué.",
      }
      res.redirect(303, `/documents/${id}`)
    })
  }

  forPatients.get('/documents/:id/supprimer', async (req, res, actor) => {
    const v = await documents.get(actor, String(req.params.id), personOf(actor))
    if (!v.canDelete) return res.redirect(303, `/documents/${v.row.id}`)
    res.render('documents/delete.njk', { pageTitle: `Supprimer le document « ${v.row.title} »`, doc: v.row })
  })

  forPatients.post('/documents/:id/supprimer', async (req, res, actor) => {
    const id = String(req.params.id)
    const v = await documents.get(actor, id, personOf(actor))
    if (formBody(req).confirm !== 'oui') {
      const errors = addError(emptyErrors(), 'confirm', 'Cochez la case pour confirmer la suppression')
      return res.status(400).render('documents/delete.njk', { pageTitle: `Supprimer le document « ${v.row.title} »`, doc: v.row, errors })
    }
    await documents.remove(actor, id, personOf(actor))
    req.session.flash = { type: 'success', text: `Le document «\u00a0${v.row.title}\u00a0» a été supprimé.` }
    res.redirect(303, '/documents')
  })

  return router
}

/** The fields of «Ajouter un document» (they come before the file in the form). */
function checkFields(fields: Record<string, string>): { errors: FormErrors; title?: string; category?: string; date?: string } {
  const errors = emptyErrors()
  const title = (fields.title ?? '').trim()
  if (!title) addError(errors, 'title', 'Saisissez le titre du document')
  else if (title.length > MAX_TITLE_LENGTH) addError(errors, 'title', `Le titre doit contenir ${MAX_TITLE_LENGTH} caractères au maximum`)
  const date = checkDate(dateParts(fields, 'date'), 'la date du document', { notFuture: true })
  if (!date.ok) addError(errors, 'date', date.message, `date-${date.part}`)
  if (!isPatientCategory(fields.category)) addError(errors, 'category', 'Choisissez une catégorie')
  return { errors, title, category: fields.category, date: date.ok ? date.value : undefined }
}
