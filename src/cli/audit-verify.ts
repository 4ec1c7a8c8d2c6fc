import { bootstrap } from '../bootstrap'
import { exitOnStartupFailure } from '../startupError'

/** `npm run audit:verify`: walks every chain of the activity log and reports the first broken link. */
async function main() {
  const runtime = await bootstrap({ migrate: false, seed: false, sessions: false })
  try {
    const result = await runtime.services.activity.verify()
    if (result.ok) {
      process.stdout.write(`Journal d'activité intègre : ${result.rows} lignes, ${result.chains} chaînes vérifiées.\n`)
    } else {
      const b = result.firstBreak!
      process.stdout.write(
        `Journal d'activité ALTÉRÉ : première rupture dans la chaîne ${b.chainKey}, ligne n° ${b.seq} (${b.reason === 'hash' ? 'contenu modifié' : b.reason === 'prev' ? 'lien rompu' : 'ligne manquante'}).\n`,
      )
      process.exitCode = 2
    }
  } finally {
    await runtime.close()
  }
}

main().catch((err) => exitOnStartupFailure('Vérification impossible', err))
