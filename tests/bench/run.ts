import globalSetup from '../helpers/globalSetup'
import { renderBench } from './render'
import { listBench, transferBench } from './documents'

/**
 * `npm run bench`: every benchmark, one after the other, printing figures (never asserting on time).
 * `npm run bench -- render` runs only the named ones.
 */
const BENCHES: Record<string, () => Promise<string[]>> = {
  render: () => renderBench(Number(process.env.BENCH_SECONDS ?? 10)),
  documents: () => transferBench(),
  'documents-list': () => listBench(),
}

async function main() {
  await globalSetup()
  const wanted = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const names = wanted.length ? wanted : Object.keys(BENCHES)
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
