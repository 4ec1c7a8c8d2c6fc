import { bornOn, de } from './domain/french'
import fs from 'node:fs'
import path from 'node:path'
import nunjucks from 'nunjucks'
import { z } from 'zod'
import { ROOT } from './root'
import { formatNir, maskNir } from './domain/nir'
import { formatCode } from './domain/provisionalCode'
import { fileSize } from './domain/fileSize'
import { frenchDate, frenchDateTime, frenchTimeOfDay } from './domain/parisTime'

/**
 * govuk-frontend's templates carry English defaults. Rather than remembering to pass a French
 * text at every call (and missing the nested ones, like the «Error:» prefix of every error
 * message), the loader rewrites those defaults as it reads the templates. Each replacement must
 * find its target: `tests/unit/views.test.ts` fails if an upgrade of govuk-frontend moves one.
 */
export const GOVUK_FRENCH: { file: string; from: string; to: string }[] = [
  { file: 'template.njk', from: `default("en", true)`, to: `default("fr", true)` },
  { file: 'template.njk', from: `text: 'Skip to main content'`, to: `text: 'Aller au contenu principal'` },
  { file: 'template.njk', from: 'GOV.UK - The best place to find government services and information', to: 'Mon espace santé' },
  { file: 'components/back-link/template.njk', from: `default("Back", true)`, to: `default("Retour", true)` },
  { file: 'components/breadcrumbs/template.njk', from: `default("Breadcrumb")`, to: `default("Fil d'Ariane")` },
  { file: 'components/error-message/template.njk', from: `default("Error")`, to: `default("Erreur")` },
  { file: 'components/error-message/template.njk', from: '{{ visuallyHiddenText }}:</span>', to: '{{ visuallyHiddenText }} :</span>' },
  {
    file: 'components/date-input/template.njk',
    from: 'text: item.label if item.label else itemName | capitalize',
    to: 'text: item.label if item.label else ({ "day": "Jour", "month": "Mois", "year": "Année" }[itemName] or itemName | capitalize)',
  },
  {
    file: 'components/pagination/template.njk',
    from: 'Previous<span class="govuk-visually-hidden"> page</span>',
    to: 'Précédent<span class="govuk-visually-hidden"> : page précédente</span>',
  },
  {
    file: 'components/pagination/template.njk',
    from: 'Next<span class="govuk-visually-hidden"> page</span>',
    to: 'Suivant<span class="govuk-visually-hidden"> : page suivante</span>',
  },
  { file: 'components/password-input/template.njk', from: `default("Show")`, to: `default("Afficher")` },
  { file: 'components/password-input/template.njk', from: `default("Show password")`, to: `default("Afficher le mot de passe")` },
  {
    file: 'components/service-navigation/template.njk',
    from: `default("Service information")`,
    to: `default("Informations sur le service")`,
  },
  { file: 'components/warning-text/template.njk', from: `default("Warning", true)`, to: `default("Attention", true)` },
  { file: 'components/tabs/template.njk', from: `default ("Contents")`, to: `default ("Sommaire")` },
  { file: 'components/notification-banner/template.njk', from: `set title = "Success"`, to: `set title = "Succès"` },
  { file: 'components/language-navigation/template.njk', from: `default("Language")`, to: `default("Langue")` },
  {
    file: 'components/character-count/template.njk',
    from: `"You can enter up to %{count} " + ("words" if countType == "words" else "characters")`,
    to: `"Vous pouvez saisir jusqu'à %{count} " + ("mots" if countType == "words" else "caractères")`,
  },
]

const GOVUK_DIR = path.join(ROOT, 'node_modules/govuk-frontend/dist/govuk')

class FrenchLoader extends nunjucks.FileSystemLoader {
  getSource(name: string): nunjucks.LoaderSource {
    // Null for a template this loader does not have (nunjucks then tries the next one), whatever @types/nunjucks says.
    const source = super.getSource(name)
    if (!source || !source.path.startsWith(GOVUK_DIR)) return source
    const rel = path.relative(GOVUK_DIR, source.path).split(path.sep).join('/')
    let src = source.src
    for (const r of GOVUK_FRENCH) if (r.file === rel) src = src.split(r.from).join(r.to)
    return { ...source, src }
  }
}

export function loadAssetManifest(): Record<string, string> {
  const file = path.join(ROOT, 'public', 'assets-manifest.json')
  if (!fs.existsSync(file)) {
    throw new Error('Les fichiers statiques ne sont pas construits : lancez `npm run build:assets`.')
  }
  return z.record(z.string(), z.string()).parse(JSON.parse(fs.readFileSync(file, 'utf8')))
}

const euro = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' })
const number = new Intl.NumberFormat('fr-FR')

export function createViews(opts: { manifest?: Record<string, string>; watch?: boolean } = {}): nunjucks.Environment {
  const manifest = opts.manifest ?? loadAssetManifest()
  const env = new nunjucks.Environment(
    new FrenchLoader([path.join(ROOT, 'views'), path.join(ROOT, 'node_modules/govuk-frontend/dist')], {
      noCache: false,
      watch: opts.watch ?? false,
    }),
    { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
  )
  env.addGlobal('asset', (name: string) => {
    const p = manifest[name]
    if (!p) throw new Error(`Fichier statique inconnu : ${name}`)
    return p
  })
  env.addFilter('dateFr', (v: string | Date | null | undefined) => (v ? frenchDate(v) : ''))
  env.addFilter('dateTimeFr', (v: string | Date | null | undefined) => (v ? frenchDateTime(v) : ''))
  env.addFilter('timeFr', (v: string | Date | null | undefined) => (v ? frenchTimeOfDay(v) : ''))
  env.addFilter('euros', (v: number | string | null | undefined) => (v === null || v === undefined ? '' : euro.format(Number(v))))
  env.addFilter('nombre', (v: number | null | undefined) => (v === null || v === undefined ? '' : number.format(v)))
  // «605 octets», «12 Ko», «1,5 Mo» (a size from PostgreSQL's bigint may arrive as a string).
  env.addFilter('taille', (v: number | string | null | undefined) => (v === null || v === undefined ? '' : fileSize(Number(v))))
  env.addFilter('nir', (v: string | null | undefined) => (v ? formatNir(v) : ''))
  env.addFilter('nirMasque', (v: string | null | undefined) => (v ? maskNir(v) : ''))
  env.addFilter('code', (v: string | null | undefined) => (v ? formatCode(v) : ''))
  // «le profil {{ name | de }}»: «le profil d'Inès», «le profil de Léo» (src/domain/french.ts).
  env.addFilter('de', (v: string | null | undefined) => (v ? de(v) : ''))
  env.addFilter('neLe', (sex: string | null | undefined) => bornOn(sex))
  return env
}
