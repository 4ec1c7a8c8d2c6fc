import { categoryLabel, isDocumentMime, MIME_EXTENSION } from './documents'
import { MEASURE_BY_TYPE } from './measures'
import { vaccineLabel, doseLabel } from './vaccines'
import { statusLabel } from './agenda'
import { frenchDate } from './parisTime'
import { LIST_SECTIONS, organDonationLabel } from './profileSections'
import type { SpaceData } from './fhirBundle'

/**
 * «Télécharger mes données» (SPEC §2, issue 8): pure rules of the export: how long and how often the
 * file can be downloaded, the names of the files inside the ZIP, and the readable summary.
 */

/** The file can be downloaded during 7 days after it is ready, and only once. */
export const EXPORT_VALID_DAYS = 7

export type ExportState = 'requested' | 'running' | 'ready' | 'downloaded' | 'expired' | 'failed'

/** The state a person reads: a ready file past its 7 days is shown (and treated) as expired. */
export function effectiveState(row: { state: ExportState; expires_at: Date | string | null }, now: Date): ExportState {
  if (row.state === 'ready' && row.expires_at && new Date(row.expires_at).getTime() <= now.getTime()) return 'expired'
  return row.state
}

export const EXPORT_STATE_LABELS: Record<ExportState, { text: string; colour: string }> = {
  requested: { text: 'Demandé', colour: 'govuk-tag--blue' },
  running: { text: 'En préparation', colour: 'govuk-tag--blue' },
  ready: { text: 'Prêt à télécharger', colour: 'govuk-tag--green' },
  downloaded: { text: 'Téléchargé', colour: 'govuk-tag--grey' },
  expired: { text: 'Expiré', colour: 'govuk-tag--grey' },
  failed: { text: 'Échec', colour: 'govuk-tag--red' },
}

/** A name safe in any file system: ASCII letters, digits, dashes; no path part; never empty. */
export function safeBaseName(title: string, max = 60): string {
  const base = title
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '')
  return base || 'document'
}

/**
 * Gives each document of the ZIP a unique, safe path `documents/<date>_<title>.<ext>`: no path
 * traversal (no slash, no dot-dot, no leading dot), no reserved device names, unique without
 * regard to case (a second «Compte rendu» becomes «…_Compte-rendu-2.pdf»).
 */
export class ZipNamer {
  private readonly used = new Set<string>()

  constructor(private readonly folder = 'documents') {}

  name(title: string, mime: string, date: string): string {
    const ext = isDocumentMime(mime) ? MIME_EXTENSION[mime] : 'bin'
    const day = /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : 'sans-date'
    const base = `${day}_${safeBaseName(title)}`
    let candidate = `${base}.${ext}`
    for (let n = 2; this.used.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}.${ext}`
    this.used.add(candidate.toLowerCase())
    return `${this.folder}/${candidate}`
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export function escapeHtml(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c])
}

function frenchNumber(n: number): string {
  return String(n).replace('.', ',')
}

function table(caption: string, headers: string[], rows: string[][], empty: string): string {
  if (!rows.length) return `<p>${escapeHtml(empty)}</p>`
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`).join('\n')
  return `<table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`
}

/**
 * `resume.html`: the space in plain French, readable without any program but a browser, with a
 * screen reader (one h1, headings per section, tables with captions and header cells, lang="fr"),
 * linking each document to its file in the ZIP. Everything typed by people is escaped.
 */
export function summaryHtml(data: SpaceData, opts: { generatedOn: string }): string {
  const p = data.person
  const fullName = `${p.firstNames} ${p.lastName}`
  const sections: string[] = []

  sections.push(
    `<h2>Identité</h2>\n<dl>\n<dt>Nom</dt><dd>${escapeHtml(p.lastName)}</dd>\n<dt>Prénoms</dt><dd>${escapeHtml(p.firstNames)}</dd>\n<dt>Date de naissance</dt><dd>${escapeHtml(frenchDate(p.birthDate))}</dd>\n<dt>Sexe</dt><dd>${p.sex === 'F' ? 'Féminin' : p.sex === 'M' ? 'Masculin' : 'Non précisé'}</dd>\n</dl>`,
  )

  sections.push(
    `<h2>Documents</h2>\n${table(
      `Documents (${data.documents.length})`,
      ['Titre', 'Date', 'Catégorie', 'Ajouté par', 'Fichier'],
      data.documents.map((d) => [
        escapeHtml(d.title),
        escapeHtml(frenchDate(d.date)),
        escapeHtml(categoryLabel(d.category)) + (d.masked ? ' (masqué aux professionnels)' : ''),
        escapeHtml(d.authorProfession ? `${d.authorName}, ${d.authorProfession}` : d.authorName),
        `<a href="${escapeHtml(d.path)}">Ouvrir<span class="visually-hidden"> ${escapeHtml(d.title)}</span></a>`,
      ]),
      'Aucun document.',
    )}`,
  )

  const profile: string[] = []
  for (const s of LIST_SECTIONS) {
    const rows = data.entries.filter((e) => e.section === s.section)
    profile.push(
      `<h3>${escapeHtml(s.title)}</h3>\n${table(
        s.title,
        ['Intitulé', 'Précisions', 'Début', 'Fin'],
        rows.map((e) => [
          escapeHtml(e.label),
          escapeHtml(e.detail ?? ''),
          escapeHtml(e.startDate ? frenchDate(e.startDate) : ''),
          escapeHtml(e.endDate ? frenchDate(e.endDate) : ''),
        ]),
        'Rien de renseigné.',
      )}`,
    )
  }
  const facts = data.facts
  profile.push(`<h3>Groupe sanguin</h3>\n<p>${escapeHtml(facts?.bloodGroup ?? 'Non renseigné')}</p>`)
  profile.push(
    `<h3>Don d'organes</h3>\n<p>${escapeHtml(facts?.organDonation ? organDonationLabel(facts.organDonation) : 'Non renseigné')}</p>`,
  )
  profile.push(
    `<h3>Entourage</h3>\n${table(
      'Personne de confiance et contacts d’urgence',
      ['Nom', 'Rôle', 'Lien', 'Téléphone', 'Adresse électronique'],
      data.contacts.map((c) => [
        escapeHtml(c.name),
        c.role === 'trusted' ? 'Personne de confiance' : 'Contact d’urgence',
        escapeHtml(c.relationship ?? ''),
        escapeHtml(c.phone ?? ''),
        escapeHtml(c.email ?? ''),
      ]),
      'Aucun contact.',
    )}`,
  )
  sections.push(`<h2>Profil médical</h2>\n${profile.join('\n')}`)

  sections.push(
    `<h2>Mesures</h2>\n${table(
      `Mesures (${data.measures.length})`,
      ['Mesure', 'Date', 'Valeur', 'Source'],
      data.measures.map((m) => {
        const def = MEASURE_BY_TYPE[m.type]
        const value = m.value2 !== null ? `${frenchNumber(m.value)} / ${frenchNumber(m.value2)}` : frenchNumber(m.value)
        return [
          escapeHtml(def?.label ?? m.type),
          escapeHtml(frenchDate(m.measuredOn)),
          escapeHtml(`${value} ${def?.unit ?? ''}`.trim()),
          escapeHtml(m.source ? `Ajoutée par ${m.source}` : 'Saisie dans Mon espace santé'),
        ]
      }),
      'Aucune mesure.',
    )}`,
  )

  sections.push(
    `<h2>Vaccinations</h2>\n${table(
      `Vaccinations (${data.vaccinations.length})`,
      ['Vaccin', 'Date', 'Dose', 'Professionnel', 'Lot'],
      data.vaccinations.map((v) => [
        escapeHtml(vaccineLabel(v.vaccine, v.otherName)),
        escapeHtml(frenchDate(v.date)),
        escapeHtml(doseLabel(v.dose)),
        escapeHtml(v.professional),
        escapeHtml(v.lot ?? ''),
      ]),
      'Aucune vaccination.',
    )}`,
  )

  sections.push(
    `<h2>Agenda</h2>\n${table(
      `Rendez-vous (${data.events.length})`,
      ['Rendez-vous', 'Date', 'Heure', 'Lieu', 'Professionnel', 'Statut'],
      data.events.map((e) => [
        escapeHtml(e.title),
        escapeHtml(frenchDate(e.date)),
        escapeHtml(e.time ? e.time.replace(':', ' h ') : 'Toute la journée'),
        escapeHtml(e.place ?? ''),
        escapeHtml(e.professional ?? ''),
        escapeHtml(statusLabel(e.status)),
      ]),
      'Aucun rendez-vous.',
    )}`,
  )

  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mes données Mon espace santé – ${escapeHtml(fullName)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; line-height: 1.5; max-width: 60rem; margin: 0 auto; padding: 1rem; color: #0b0c0c; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
caption { text-align: left; font-weight: bold; padding: 0.5rem 0; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.4rem; text-align: left; vertical-align: top; }
a { color: #1d4f91; }
a:focus { outline: 3px solid #ffdd00; }
dt { font-weight: bold; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
</style>
</head>
<body>
<main>
<h1>Mes données Mon espace santé</h1>
<p>Profil de ${escapeHtml(fullName)}, données exportées le ${escapeHtml(frenchDate(opts.generatedOn))}.</p>
<p>Ce dossier contient vos documents (dossier «&nbsp;documents&nbsp;»), ce résumé et le fichier <code>donnees-fhir.json</code> : les mêmes données au format international FHIR R4, lisible par d’autres services de santé.</p>
<p>Ces informations sont personnelles et confidentielles : conservez ce fichier en lieu sûr.</p>
${sections.join('\n')}
</main>
</body>
</html>
`
}
