import { createScaleSimulator, DEMO_SCALE } from '../demo/scaleSimulator'

/**
 * `npm run simulateur:balance`: the demo's connected scale (Withings Health Mate), a real OAuth
 * client of the running Mon espace santé. Environment (all optional):
 *   MES_URL              the site (default http://localhost:$PORT, PORT defaulting to 3000)
 *   SIMULATEUR_PORT      its local return port (default 8765, as registered by the demo data)
 *   SIMULATEUR_INTERVALLE seconds between two weighings once connected (default 60; 0: stop after pairing)
 *   SIMULATEUR_CLIENT_ID / SIMULATEUR_CLIENT_SECRET  another registered client (default: the demo's)
 */
async function main() {
  const base = process.env.MES_URL ?? `http://localhost:${process.env.PORT ?? 3000}`
  const every = Number(process.env.SIMULATEUR_INTERVALLE ?? 60)
  const out = (line: string) => process.stdout.write(`${line}\n`)
  const sim = createScaleSimulator({
    base,
    port: Number(process.env.SIMULATEUR_PORT ?? DEMO_SCALE.port),
    clientId: process.env.SIMULATEUR_CLIENT_ID,
    clientSecret: process.env.SIMULATEUR_CLIENT_SECRET,
    log: (line) => out(`[balance] ${line}`),
  })
  const { startUrl } = await sim.start()
  const authorizationUrl = await sim.authorizationUrl()
  out(`Balance connectée de démonstration (${DEMO_SCALE.name}), pour ${base}`)
  out('')
  out('Pour la connecter à un profil, au choix :')
  out(`  - dans Mon espace santé : Catalogue de services > ${DEMO_SCALE.name} > « Connecter ce service » ;`)
  out(`  - ou ouvrez cette adresse dans votre navigateur : ${startUrl}`)
  out(`    (elle mène à la demande d'autorisation : ${authorizationUrl})`)
  out('Connectez-vous, cochez ce que vous partagez, puis « Autoriser ». Ctrl+C pour arrêter.')
  await sim.paired
  if (!every) return sim.close()
  const weighOnce = async () => {
    const w = await sim.weigh().catch((err: Error) => {
      out(`[balance] Erreur : ${err.message}`)
      return undefined
    })
    if (w && (w.status === 401 || w.status === 403)) {
      out('[balance] Mon espace santé refuse les pesées : la balance a été désynchronisée (ou ses autorisations retirées). Fin.')
      clearInterval(timer)
      await sim.close()
    }
  }
  const timer = setInterval(() => void weighOnce(), every * 1000)
  const stop = () => {
    clearInterval(timer)
    void sim.close().finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err) => {
  process.stderr.write(`La balance n'a pas pu démarrer : ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
