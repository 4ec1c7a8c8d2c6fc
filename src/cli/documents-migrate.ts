import { bootstrap } from '../bootstrap'
import { unwrapDataKey } from '../infrastructure/crypto'

/**
 * `npm run documents:migrate`: moves the documents still in PostgreSQL (`document_chunks`, filed
 * before the object store) to the configured store (S3 when S3_BUCKET is set, else the folder), in
 * batches, each chunk checked on the way. Idempotent and resumable: run it again after a stop; the
 * site keeps reading a document from PostgreSQL until its move is committed.
 * Option: `--batch N` (documents per batch, 50 by default).
 */
async function main() {
  const args = process.argv.slice(2)
  const at = args.indexOf('--batch')
  const batch = at >= 0 ? Number(args[at + 1]) : 50
  if (!Number.isInteger(batch) || batch < 1) throw new Error('--batch attend un nombre entier positif')
  const runtime = await bootstrap({ migrate: false, seed: false, sessions: false })
  try {
    const { documentStore } = runtime.services
    const master = runtime.config.documentMasterKey
    process.stdout.write(`Déplacement des documents de PostgreSQL vers le stockage ${documentStore.kind === 's3' ? 'S3' : 'sur disque'}…\n`)
    const r = await documentStore.migrateFromPostgres((wrapped) => unwrapDataKey(master, wrapped), {
      batch,
      onBatch: ({ moved, failed }) => process.stdout.write(`  ${moved} déplacés, ${failed} en échec\n`),
    })
    process.stdout.write(
      `Terminé : ${r.moved} documents déplacés, ${r.failed} en échec, ${r.left} encore dans PostgreSQL.\n` +
        (r.failed ? 'Les documents en échec restent lisibles depuis PostgreSQL ; le journal dit pourquoi.\n' : ''),
    )
    if (r.failed) process.exitCode = 2
  } finally {
    await runtime.close()
  }
}

main().catch((err) => {
  process.stderr.write(`Déplacement impossible : ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
