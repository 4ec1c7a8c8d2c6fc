import { bootstrap } from '../bootstrap'
import type { ChainBreak } from '../domain/hashChain'
import { exitOnStartupFailure } from '../startupError'

const REASONS: Record<ChainBreak['reason'], string> = {
  hash: 'contenu modifié',
  prev: 'lien rompu',
  gap: 'ligne manquante',
  truncated: 'lignes supprimées en fin de chaîne',
  checkpoint: 'point de contrôle non conforme',
}

/**
 * `npm run audit:verify`: compares every chain of the activity log to its latest signed checkpoint, walks
 * every chain, reports the first broken link (exit code 2), and pins the heads it verified.
 */
async function main() {
  const runtime = await bootstrap({ migrate: false, seed: false, sessions: false })
  try {
    const result = await runtime.services.activity.verify()
    if (result.ok) {
      const pins = result.checkpoints
        ? ` ; ${result.checkpoints.compared} têtes de chaîne épinglées comparées, ${result.checkpoints.pinned} nouvelles épinglées`
        : ''
      process.stdout.write(`Journal d'activité intègre : ${result.rows} lignes, ${result.chains} chaînes vérifiées${pins}.\n`)
    } else {
      const b = result.firstBreak!
      process.stdout.write(
        `Journal d'activité ALTÉRÉ : première rupture dans la chaîne ${b.chainKey}, ligne n° ${b.seq} (${REASONS[b.reason]}).\n`,
      )
      process.exitCode = 2
    }
  } finally {
    await runtime.close()
  }
}

main().catch((err) => exitOnStartupFailure('Vérification impossible', err))
