import type { Writable } from 'node:stream'
import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { formatCode } from '../../domain/provisionalCode'
import { open } from '../../infrastructure/crypto'
import { frenchDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { lettersRepository as repo, type LetterRow } from './lettersRepository'

export const LETTER_KINDS: Record<string, string> = {
  provisional_code: 'Code provisoire',
  opposition_receipt: "Accusé de réception d'opposition",
}

class NothingToBatch extends Error {}

/**
 * Letters for the print house (SPEC §12). The queue is gathered into a batch; the batch is
 * downloaded as ONE PDF (one page per letter, the clear content opened from its sealed payload at
 * that moment only); once the operator confirms it went to the print house, the letters are marked
 * sent and their sealed content wiped.
 */
/** What a letter's sealed content holds (written by the code and opposition journeys). */
interface LetterPayload {
  code?: string
  expiresAt?: string
  opposedAt?: string
  reference?: string
}

export function createLetters(deps: { db: Knex; activity: ActivityLog; masterKey: Buffer }) {
  const { db, activity, masterKey } = deps

  function page(doc: PDFKit.PDFDocument, l: LetterRow) {
    const a = l.address
    doc.fontSize(10).text('Assurance Maladie – Mon espace santé', 50, 50)
    doc.text('Service 3422 – Mon espace santé')
    doc.fontSize(11).text([a.name, a.line1, a.line2, [a.postcode, a.city].filter(Boolean).join(' ')].filter(Boolean).join('\n'), 320, 140)
    doc.fontSize(10).text(`Le ${frenchDate(new Date(l.created_at))}`, 320, 230)
    doc.moveDown(3)
    // JSON.parse gives any: the payload was sealed (authenticated) by this service, in this shape.
    const payload = (l.sealed_payload ? JSON.parse(open(masterKey, l.sealed_payload).toString('utf8')) : {}) as LetterPayload
    doc.x = 50
    if (l.kind === 'provisional_code') {
      doc.fontSize(14).text('Votre code provisoire Mon espace santé', 50, 300)
      doc.moveDown()
      doc.fontSize(11).text(`Bonjour ${a.name},`)
      doc.moveDown()
      doc.text(
        'Mon espace santé est votre espace personnel de santé. Pour activer votre profil, ou pour vous opposer à sa création, rendez-vous sur monespacesante.fr avec ce code :',
      )
      doc.moveDown()
      doc.fontSize(20).text(payload.code ? formatCode(payload.code) : '—', { align: 'center' })
      doc.moveDown()
      doc
        .fontSize(11)
        .text(
          `Ce code est valable jusqu'au ${payload.expiresAt ? frenchDate(new Date(payload.expiresAt)) : '—'} et ne sert qu'une fois. Sans opposition de votre part dans les 6 semaines, votre profil sera créé automatiquement.`,
        )
      doc.moveDown()
      doc.text("Ne communiquez ce code à personne. Besoin d'aide ? Appelez le 3422 ou rendez-vous dans un espace France Services.")
    } else if (l.kind === 'opposition_receipt') {
      doc.fontSize(14).text('Accusé de réception de votre opposition', 50, 300)
      doc.moveDown()
      doc.fontSize(11).text(`Bonjour ${a.name},`)
      doc.moveDown()
      doc.text(
        `Nous avons bien enregistré, le ${payload.opposedAt ? frenchDate(new Date(payload.opposedAt)) : '—'}, votre opposition à la création de votre profil Mon espace santé.`,
      )
      doc.moveDown()
      doc.text(`Référence : ${payload.reference ?? '—'}`)
      doc.moveDown()
      doc.text(
        "Votre profil ne sera pas créé. Si vous changez d'avis, vous pourrez demander un nouveau code provisoire et activer votre profil.",
      )
    } else {
      doc.fontSize(14).text('Courrier Mon espace santé', 50, 300)
      doc.moveDown()
      doc.fontSize(11).text('Connectez-vous à Mon espace santé pour en savoir plus, ou appelez le 3422.')
    }
    doc.fontSize(9).text('Mon espace santé – Assurance Maladie – 3422', 50, 760, { lineBreak: false })
  }

  return {
    async queue() {
      const [waiting, batches] = await Promise.all([repo.waitingByKind(db), repo.latestBatches(db, 10)])
      return {
        waiting: waiting.map((w) => ({ kind: w.kind, label: LETTER_KINDS[w.kind] ?? w.kind, count: Number(w.count) })),
        total: waiting.reduce((n, w) => n + Number(w.count), 0),
        batches,
      }
    },

    /** Gathers the waiting letters (up to `max`) into a new batch; undefined when none wait. */
    async createBatch(actor: Actor, max = 5000): Promise<{ id: number; letters: number } | undefined> {
      return db
        .transaction(async (trx) => {
          const id = await repo.insertBatch(trx, actor.accountId)
          const n = await repo.fillBatch(trx, id, max)
          if (!n) throw new NothingToBatch()
          await repo.setBatchSize(trx, id, n)
          await activity.record(trx, actor, {
            action: 'letters.batch_created',
            objectType: 'letter_batch',
            objectId: String(id),
            details: { letters: n },
          })
          return { id, letters: n }
        })
        .catch((err: Error) => {
          if (err instanceof NothingToBatch) return undefined
          throw err
        })
    },

    findBatch: (id: number) => repo.findBatch(db, id),

    /** Writes the batch as one PDF to `out`; false when the batch does not exist or was already sent. */
    async writePdf(actor: Actor, id: number, out: Writable): Promise<boolean> {
      const batch = await repo.findBatch(db, id)
      if (!batch || batch.sent_at) return false
      await db.transaction(async (trx) => {
        await repo.markBatchDownloaded(trx, id)
        await activity.record(trx, actor, {
          action: 'letters.batch_downloaded',
          objectType: 'letter_batch',
          objectId: String(id),
          details: { letters: batch.letters },
        })
      })
      // Loaded on first use: pdfkit and its fonts are heavy, and most processes never print a letter.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const PDFDocument = require('pdfkit') as typeof import('pdfkit') // require() gives any: this is pdfkit's module
      const doc = new PDFDocument({
        size: 'A4',
        margin: 50,
        autoFirstPage: false,
        info: { Title: `Lot de courriers n° ${id}`, Author: 'Mon espace santé' },
      })
      doc.pipe(out)
      for await (const l of repo.streamBatch(db, id)) {
        doc.addPage()
        page(doc, l)
      }
      if (!batch.letters) doc.addPage()
      doc.end()
      return true
    },

    /** The print house has the batch: letters marked sent, their clear content wiped. */
    async markSent(actor: Actor, id: number): Promise<boolean> {
      return db.transaction(async (trx) => {
        const batch = await repo.findBatchForUpdate(trx, id)
        if (!batch || batch.sent_at || !batch.downloaded_at) return false
        await repo.markBatchSent(trx, id)
        await activity.record(trx, actor, {
          action: 'letters.batch_sent',
          objectType: 'letter_batch',
          objectId: String(id),
          details: { letters: batch.letters },
        })
        return true
      })
    },
  }
}
