import globalSetup from '../helpers/globalSetup'
import { renderBench } from './render'
import { backOfficeBench } from './backoffice'
import { agendaJobBench, recommendationsBench } from './prevention'
import { reimbursementsImportBench } from './reimbursementsImport'
import { listBench, transferBench } from './documents'
import { fhirBench } from './fhir'
import { exportBench } from './export'
import { loadBench } from './load'

/**
 * `npm run bench`: every benchmark, one after the other, printing figures (never asserting on time).
 * `npm run bench -- render` (or `BENCH_ONLY=render npm run bench`) runs only the named ones.
 */
const BENCHES: Record<string, () => Promise<string[]>> = {
  render: () => renderBench(Number(process.env.BENCH_SECONDS ?? 10)),
  backoffice: () => backOfficeBench(),
  'backoffice-import': () => backOfficeBench('import'),
  'backoffice-campaign': () => backOfficeBench('campaign'),
  'backoffice-auto-creation': () => backOfficeBench('auto-creation'),
  'backoffice-figures': () => backOfficeBench('figures'),
  recommendations: () => recommendationsBench(),
  'agenda-job': () => agendaJobBench(),
  reimbursementsImport: () => reimbursementsImportBench(),
  documents: () => transferBench(),
  'documents-disk': () => transferBench(['disk']),
  'documents-s3': () => transferBench(['s3']),
  'documents-list': () => listBench(),
  fhir: () => fhirBench(Number(process.env.BENCH_SECONDS ?? 10), Number(process.env.BENCH_MEASURES ?? 10_000)),
  // «Télécharger mes données»: BENCH_EXPORT_MB (default 200, up to 1024).
  export: () => exportBench(),
  // Issue 20: the app as `npm start` runs it, signed-in people at 50, 200 and 500 connections.
  load: () => loadBench(),
}
/** The parts of a bench are not run by default (the whole is). */
const DEFAULT = [
  'render',
  'backoffice',
  'recommendations',
  'agenda-job',
  'reimbursementsImport',
  'documents',
  'documents-list',
  'fhir',
  'export',
]

async function main() {
  await globalSetup()
  // `npm run bench -- name` or `BENCH_ONLY=name[,name] npm run bench` runs only those.
  const fromEnv = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const wanted = [...process.argv.slice(2).filter((a) => !a.startsWith('-')), ...fromEnv]
  const names = wanted.length ? wanted : DEFAULT
  // The app is measured as `npm start` runs it: the same Node flags (package.json, "start" and "bench").
  process.stdout.write(
    `Node ${process.version} ${process.execArgv.filter((a) => a.startsWith('--max')).join(' ') || '(sans option de mémoire : lancez `npm run bench`)'}\n`,
  )
  for (const name of names) {
    const bench = BENCHES[name]
    if (!bench) {
      process.stderr.write(`Banc inconnu : ${name} (connus : ${Object.keys(BENCHES).join(', ')})\n`)
      process.exitCode = 1
      continue
    }
    const lines = await bench()
    process.stdout.write(`\n${lines.join('\n')}\n`)
  }
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  })
