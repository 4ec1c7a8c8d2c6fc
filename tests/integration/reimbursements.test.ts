import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, LOUIS } from '../helpers/demo'
import { createAccount, errorText } from '../helpers/lifecycle'
import { DEMO_REIMBURSEMENTS } from '../../src/seed/reimbursements'
import { formatEuros } from '../../src/domain/money'
import { DEMO_PROFESSIONALS } from '../../src/seed/demo'
import type { Actor } from '../../src/domain/actor'

const text = (html: string, sel = 'main') => cheerio.load(html)(sel).text().replace(/\s+/g, ' ').trim()
const HEADER = 'reference;nir;date_soins;acte;type_soins;professionnel;montant_paye;montant_rembourse'

describe('remboursements', () => {
  let t: TestApp
  let camille: Agent
  let louis: Agent
  let camilleId: string
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    louis = agent(t.app)
    await signIn(louis, t.db, 'operator', LOUIS.login, LOUIS.password)
    camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  async function upload(a: Agent, content: string | Buffer, filename = 'remboursements.csv') {
    const page = await a.get('/back-office/remboursements')
    return a.post('/back-office/remboursements').field('_csrf', csrfOf(page.text)).attach('fichier', Buffer.from(content), filename)
  }

  it("Camille voit ses soins remboursés de l'année, les totaux en euros, et filtre par année et type de soins", async () => {
    const r = await camille.get('/remboursements')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    const years = $('#annee option')
      .map((_i, e) => Number($(e).attr('value')))
      .get()
    expect(years.length).toBeGreaterThanOrEqual(2)
    const year = years[0]
    const rows = await t.db('reimbursements').where({ person_id: camilleId }).whereRaw('extract(year from care_date) = ?', [year])
    const paid = rows.reduce((s, x) => s + x.amount_paid_cents, 0)
    const reimbursed = rows.reduce((s, x) => s + x.amount_reimbursed_cents, 0)
    // One line per care plus the total line.
    expect($('main table').first().find('tbody tr').length).toBe(rows.length + 1)
    const totalLine = $('main table').first().find('tbody tr').last().text().replace(/\s+/g, ' ')
    expect(totalLine).toContain(formatEuros(paid).replace(/\s/g, ' '))
    expect(totalLine).toContain(formatEuros(reimbursed).replace(/\s/g, ' '))
    expect(totalLine).toContain(formatEuros(paid - reimbursed).replace(/\s/g, ' '))

    const optiqueRow = await t
      .db('reimbursements')
      .where({ person_id: camilleId, care_type: 'optique' })
      .first(t.db.raw('extract(year from care_date)::int as y'))
    const older = optiqueRow.y as number
    expect(older).not.toBe(year)
    const f = await camille.get(`/remboursements?annee=${older}&type=optique`)
    const $f = cheerio.load(f.text)
    expect($f('#annee option[selected]').attr('value')).toBe(String(older))
    expect($f('#type option[selected]').attr('value')).toBe('optique')
    const optique = DEMO_REIMBURSEMENTS.find((x) => x.care_type === 'optique')!
    expect(optique.days).toBeGreaterThan(366)
    expect($f('main table').first().find('tbody tr').length).toBe(2)
    expect(text(f.text)).toContain(optique.act)
    expect(text(f.text)).toContain('350,00 €')
    // An unknown year or type falls back to the defaults rather than failing.
    expect((await camille.get('/remboursements?annee=1900&type=%3Cscript%3E')).status).toBe(200)
  })

  it('« Masquer mes remboursements aux professionnels » est enregistré, avec une ligne d’historique, et la politique d’accès l’applique', async () => {
    const proActor = async (rpps: string): Promise<Actor> => {
      const row = await t
        .db('accounts as a')
        .join('professionals as p', 'p.id', 'a.professional_id')
        .where({ 'p.rpps': rpps })
        .first('a.id', 'a.display_name', 'p.id as pid', 'p.profession')
      return { accountId: row.id, kind: 'professional', displayName: row.display_name, professionalId: row.pid, profession: row.profession }
    }
    const bernard = await proActor(DEMO_PROFESSIONALS.bernard.rpps)
    const petit = await proActor(DEMO_PROFESSIONALS.petit.rpps)
    const moreau = await proActor(DEMO_PROFESSIONALS.moreau.rpps)
    const year = Number(
      (
        await t
          .db('reimbursements')
          .where({ person_id: camilleId })
          .orderBy('care_date', 'desc')
          .first(t.db.raw("to_char(care_date, 'YYYY') as y"))
      ).y,
    )
    // The médecin traitant reads them (and the read is in Camille's history); blocked or unknown professionals do not.
    expect((await t.services.reimbursements.forProfessional(bernard, camilleId, year)).length).toBeGreaterThan(0)
    expect(
      await t
        .db('activity_log')
        .where({ subject_person_id: camilleId, action: 'reimbursements.read', actor_account_id: bernard.accountId })
        .first(),
    ).toBeDefined()
    await expect(t.services.reimbursements.forProfessional(petit, camilleId, year)).rejects.toMatchObject({ status: 403 })
    await expect(t.services.reimbursements.forProfessional(moreau, camilleId, year)).rejects.toMatchObject({ status: 403 })

    expect(await t.services.reimbursements.hiddenFromProfessionals(camilleId)).toBe(false)
    let r = await submitForm(camille, '/remboursements', { masquer: 'oui' }, '/remboursements/visibilite')
    expect(r.status).toBe(303)
    expect(await t.services.reimbursements.hiddenFromProfessionals(camilleId)).toBe(true)
    const page = await camille.get('/remboursements')
    expect(cheerio.load(page.text)('input[name="masquer"]').attr('checked')).toBeDefined()
    expect(await t.db('activity_log').where({ subject_person_id: camilleId, action: 'reimbursements.hidden' }).first()).toBeDefined()
    await expect(t.services.reimbursements.forProfessional(bernard, camilleId, year)).rejects.toMatchObject({ status: 403 })
    r = await submitForm(camille, '/remboursements', {}, '/remboursements/visibilite')
    expect(await t.services.reimbursements.hiddenFromProfessionals(camilleId)).toBe(false)
    expect(await t.db('activity_log').where({ subject_person_id: camilleId, action: 'reimbursements.shown' }).first()).toBeDefined()
    expect((await t.services.reimbursements.forProfessional(bernard, camilleId, year)).length).toBeGreaterThan(0)
  })

  it('import opérateur : bonnes lignes gardées, mauvaises signalées par numéro, et un second envoi ne double rien', async () => {
    const p = await createAccount(t.db)
    const csv = [
      HEADER,
      `RB-T-0001;${p.nir};2026-01-10;Consultation de médecine générale;consultation;Dr Sophie Bernard;30,00;20,00`,
      `RB-T-0002;${p.nir};10/01/2026;"Médicaments; générique";pharmacie;Pharmacie des Pyrénées;12,40;8,06`,
      `RB-T-0003;${p.nir};2026-02-30;Bilan;biologie;Laboratoire;20,00;10,00`,
      '',
      `RB-T-0004;268037505612364;2026-01-12;Bilan;biologie;Laboratoire;20,00;10,00`,
      `RB-T-0005;150116912304532;2026-01-12;Radio;imagerie;Centre;20,00;30,00`,
      `RB-T-0006;190017512345678;2026-01-12;Radio;imagerie;Centre;20,00;10,00`,
    ].join('\r\n')
    let r = await upload(louis, csv)
    expect(r.status).toBe(303)
    const url = r.headers.location
    expect(url).toMatch(/^\/back-office\/remboursements\/imports\/[0-9a-f-]{36}$/)
    const report = await louis.get(url)
    const $ = cheerio.load(report.text)
    const errors = $('main table tbody tr')
      .map((_i, e) => $(e).find('td').first().text().trim())
      .get()
    expect(errors).toEqual(['4', '6', '7', '8'])
    expect(text(report.text)).toContain('date_soins')
    expect(text(report.text)).toContain('montant_rembourse : ne peut pas dépasser')
    const row = await t.db('reimbursement_imports').orderBy('started_at', 'desc').first()
    expect(row).toMatchObject({ status: 'done', rows_read: 6, rows_inserted: 2, rows_already_present: 0, rows_rejected: 4 })
    const stored = await t.db('reimbursements').where({ person_id: p.id }).orderBy('reference')
    expect(stored.map((x) => [x.reference, x.amount_paid_cents, x.amount_reimbursed_cents, x.act])).toEqual([
      ['RB-T-0001', 3000, 2000, 'Consultation de médecine générale'],
      ['RB-T-0002', 1240, 806, 'Médicaments; générique'],
    ])
    expect(await t.db('activity_log').where({ action: 'reimbursements.imported', object_id: row.id }).first()).toMatchObject({
      actor_role: 'operator',
    })

    r = await upload(louis, csv)
    expect(r.status).toBe(303)
    const second = await t.db('reimbursement_imports').orderBy('started_at', 'desc').first()
    expect(second).toMatchObject({ rows_inserted: 0, rows_already_present: 2, rows_rejected: 4 })
    expect(await t.db('reimbursements').where({ person_id: p.id })).toHaveLength(2)
  })

  it('refuse sans rien changer : pas de fichier, un autre format, un en-tête faux ; réservé aux opérateurs', async () => {
    const before = (await t.db('reimbursements').count({ n: '*' }))[0].n
    const page = await louis.get('/back-office/remboursements')
    let r = await louis.post('/back-office/remboursements').field('_csrf', csrfOf(page.text)).attach('fichier', Buffer.alloc(0), '')
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'fichier')).toBe('Choisissez un fichier CSV à importer')
    expect(r.text).toContain('<title>Erreur : ')
    r = await upload(louis, 'PK\u0003\u0004binaire', 'remboursements.xlsx')
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'fichier')).toContain('format CSV')
    r = await upload(louis, 'ref;nir\nRB-1;1')
    expect(r.status).toBe(303)
    const report = await louis.get(r.headers.location)
    expect(text(report.text)).toContain('Import interrompu')
    expect(text(report.text)).toContain("La ligne d'en-tête doit nommer les colonnes")
    expect((await t.db('reimbursements').count({ n: '*' }))[0].n).toBe(before)
    // Without the CSRF token: refused before reading the file.
    r = await louis.post('/back-office/remboursements').attach('fichier', Buffer.from(HEADER), 'r.csv')
    expect(r.status).toBe(403)
    expect((await camille.get('/back-office/remboursements')).status).toBe(403)
    expect((await louis.get('/remboursements')).status).toBe(403)
    expect((await louis.get('/back-office/remboursements/imports/00000000-0000-0000-0000-000000000000')).status).toBe(404)
  })

  it('portail professionnel : les remboursements du patient, après accès déclaré, chaque lecture dans l’historique ; refusés avec un message clair quand le patient les masque', async () => {
    const moreau = agent(t.app)
    await signIn(moreau, t.db, 'professional', DEMO_PROFESSIONALS.moreau.rpps, DEMO_PROFESSIONALS.moreau.password)
    const C = await t.db('insured_persons').where({ id: camilleId }).first('nir', t.db.raw("to_char(birth_date, 'YYYY-MM-DD') as birth"))
    const [y, m, d] = (C.birth as string).split('-')
    expect(
      (
        await submitForm(moreau, '/pro/patient', {
          nir: C.nir,
          'birthDate-day': d,
          'birthDate-month': m,
          'birthDate-year': y,
          lastName: 'Martin',
        })
      ).status,
    ).toBe(303)
    // No access declared yet: no link, and the page refuses in plain French.
    let dossier = await moreau.get('/pro/patient/dossier')
    expect(cheerio.load(dossier.text)('a[href="/pro/patient/remboursements"]').length).toBe(0)
    let r = await moreau.get('/pro/patient/remboursements')
    expect(r.status).toBe(403)
    expect(text(r.text)).toContain("Vous n'avez pas accès au profil de ce patient : vous ne pouvez pas consulter ses remboursements.")
    expect(cheerio.load(r.text)('main table').length).toBe(0)
    const reads = () =>
      t
        .db('activity_log')
        .where({ subject_person_id: camilleId, action: 'reimbursements.read', actor_role: 'professional', actor_name: r2name })
        .count({ n: '*' })
        .first()
        .then((x) => Number(x!.n))
    const r2name = (
      await t
        .db('accounts as a')
        .join('professionals as p', 'p.id', 'a.professional_id')
        .where({ 'p.rpps': DEMO_PROFESSIONALS.moreau.rpps })
        .first('a.display_name')
    ).display_name
    expect(await reads()).toBe(0)

    // Access declared (consent): the link, the year's table with its total, the filters.
    expect((await submitForm(moreau, '/pro/patient/dossier', { mode: 'consentement' }, '/pro/patient/acces')).status).toBe(303)
    dossier = await moreau.get('/pro/patient/dossier')
    expect(cheerio.load(dossier.text)('a[href="/pro/patient/remboursements"]').text()).toBe('Voir les remboursements du patient')
    r = await moreau.get('/pro/patient/remboursements')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    expect($('h1').text().trim()).toBe('Remboursements du patient')
    expect(text(r.text)).toContain('Consultation de cardiologie')
    expect($('main table').first().find('tbody tr').last().text()).toContain('Total')
    expect(await reads()).toBe(1)
    const optique = DEMO_REIMBURSEMENTS.find((x) => x.care_type === 'optique')!
    const optiqueYear = (
      await t
        .db('reimbursements')
        .where({ person_id: camilleId, care_type: 'optique' })
        .first(t.db.raw('extract(year from care_date)::int as y'))
    ).y
    const f = await moreau.get(`/pro/patient/remboursements?annee=${optiqueYear}&type=optique`)
    expect(f.status).toBe(200)
    expect(text(f.text)).toContain(optique.act)
    expect(text(f.text)).not.toContain('Consultation de cardiologie')
    expect(cheerio.load(f.text)('#type option[selected]').attr('value')).toBe('optique')
    expect(await reads()).toBe(2)
    const row = await t
      .db('activity_log')
      .where({ subject_person_id: camilleId, action: 'reimbursements.read', actor_role: 'professional' })
      .orderBy('seq', 'desc')
      .first()
    expect(row.object_id).toBe(String(optiqueYear))
    // Camille sees the access in her history («Actions des professionnels»).
    expect(text((await camille.get('/historique?onglet=autres')).text)).toContain('Remboursements consultés')

    // Camille hides them: refused with a clear message, nothing read, nothing logged.
    expect((await submitForm(camille, '/remboursements', { masquer: 'oui' }, '/remboursements/visibilite')).status).toBe(303)
    dossier = await moreau.get('/pro/patient/dossier')
    expect(cheerio.load(dossier.text)('a[href="/pro/patient/remboursements"]').length).toBe(0)
    expect(text(dossier.text)).toContain('Ce patient a choisi de masquer ses remboursements aux professionnels de santé.')
    r = await moreau.get('/pro/patient/remboursements')
    expect(r.status).toBe(403)
    expect(text(r.text)).toContain(
      'Ce patient a choisi de masquer ses remboursements aux professionnels de santé : vous ne pouvez pas les consulter.',
    )
    expect(text(r.text)).not.toContain('Consultation de cardiologie')
    expect(await reads()).toBe(2)
    expect((await submitForm(camille, '/remboursements', {}, '/remboursements/visibilite')).status).toBe(303)
    // A blocked professional (Dr Petit): the refusal says so.
    const petit = agent(t.app)
    await signIn(petit, t.db, 'professional', DEMO_PROFESSIONALS.petit.rpps, DEMO_PROFESSIONALS.petit.password)
    expect(
      (
        await submitForm(petit, '/pro/patient', {
          nir: C.nir,
          'birthDate-day': d,
          'birthDate-month': m,
          'birthDate-year': y,
          lastName: 'Martin',
        })
      ).status,
    ).toBe(303)
    r = await petit.get('/pro/patient/remboursements')
    expect(r.status).toBe(403)
    expect(text(r.text)).toContain('Ce patient vous a bloqué')
    // Without a patient found first: 404.
    const bernard = agent(t.app)
    await signIn(bernard, t.db, 'professional', DEMO_PROFESSIONALS.bernard.rpps, DEMO_PROFESSIONALS.bernard.password)
    expect((await bernard.get('/pro/patient/remboursements')).status).toBe(404)
    // A patient account cannot reach the professional page.
    expect((await camille.get('/pro/patient/remboursements')).status).toBe(403)
  })

  it('un aidant consulte les remboursements de la personne aidée : lecture notée « aidant » dans son historique, sans le réglage de visibilité', async () => {
    const paul = await createAccount(t.db, { firstNames: 'Paul', lastName: 'Aidantremboursements' })
    await t.db('carers').insert({
      person_id: camilleId,
      carer_person_id: paul.id,
      status: 'active',
      invitation_expires_at: new Date(),
      starts_on: '2026-01-01',
      accepted_at: new Date(),
    })
    const p = agent(t.app)
    await signIn(p, t.db, 'patient', paul.login, paul.password)
    expect((await submitForm(p, '/aidants', { profil: camilleId }, '/aidants/agir')).status).toBe(303)
    const r = await p.get('/remboursements')
    expect(r.status).toBe(200)
    expect(text(r.text)).toContain('Consultation de cardiologie')
    expect(cheerio.load(r.text)('form[action="/remboursements/visibilite"]').length).toBe(0)
    expect(text(r.text)).toContain('Seule la personne elle-même, ou son représentant légal, peut changer ce réglage.')
    expect(
      await t
        .db('activity_log')
        .where({
          subject_person_id: camilleId,
          action: 'reimbursements.read',
          actor_role: 'carer',
          actor_name: 'Paul Aidantremboursements',
        })
        .first(),
    ).toBeDefined()
    const hide = await p
      .post('/remboursements/visibilite')
      .type('form')
      .send({ _csrf: csrfOf(r.text), masquer: 'oui' })
    expect(hide.status).toBe(403)
    expect(await t.services.reimbursements.hiddenFromProfessionals(camilleId)).toBe(false)
    // The holder's own reads are not logged.
    const before = await t
      .db('activity_log')
      .where({ subject_person_id: camilleId, action: 'reimbursements.read', actor_role: 'patient' })
      .count({ n: '*' })
      .first()
    await camille.get('/remboursements')
    expect(
      await t
        .db('activity_log')
        .where({ subject_person_id: camilleId, action: 'reimbursements.read', actor_role: 'patient' })
        .count({ n: '*' })
        .first(),
    ).toEqual(before)
  })
})
