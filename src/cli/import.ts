import fs from 'node:fs'
import path from 'node:path'
import { bootstrap } from '../bootstrap'
import { SYSTEM_ACTOR } from '../domain/actor'
import { exitOnStartupFailure } from '../startupError'

/**
 * `npm run import -- assures.csv [--report lignes-refusees.csv]`: imports insured persons from a CSV
 * file (same rules as the back-office form), prints the counts, and writes the report of bad lines.
 */
async function main() {
  const args = process.argv.slice(2)
  const file = args.find((a) => !a.startsWith('--'))
  const reportAt = args.indexOf('--report')
  if (!file) {
    process.stderr.write('Usage : npm run import -- fichier.csv [--report rapport.csv]\n')
    process.exit(64)
  }
  // A missing or unreadable file is said at once, before the database starts.
  fs.accessSync(file, fs.constants.R_OK)
  const runtime = await bootstrap({ migrate: false, seed: false, sessions: false })
  try {
    const summary = await runtime.services.imports.run(fs.createReadStream(file), {
      actor: SYSTEM_ACTOR,
      source: 'cli',
      filename: path.basename(file),
    })
    if (summary.status === 'failed') {
      process.stdout.write(`Import n° ${summary.id} refusé : ${summary.fileErrors.join(' ; ')}\n`)
      process.exitCode = 2
      return
    }
    process.stdout.write(
      `Import n° ${summary.id} terminé : ${summary.rowsTotal} lignes lues, ${summary.inserted} assurés ajoutés, ${summary.updated} mis à jour, ${summary.rowsBad} lignes refusées.\n`,
    )
    if (summary.rowsBad) {
      const target = reportAt >= 0 && args[reportAt + 1] ? args[reportAt + 1] : `import-${summary.id}-lignes-refusees.csv`
      await runtime.services.imports.report(summary.id, fs.createWriteStream(target))
      process.stdout.write(`Rapport des lignes refusées : ${target}\n`)
      process.exitCode = 1
    }
  } finally {
    await runtime.close()
  }
}

main().catch((err) => exitOnStartupFailure('Import impossible', err))
