import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, lastMessage, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { dateFields, errorText, h1, makeNir } from '../helpers/lifecycle'
import { dayBefore } from '../../src/domain/agenda'
import { frenchDate, isoDate } from '../../src/domain/parisTime'

const DAY = 24 * 60 * 60 * 1000
const inDays = (n: number) => isoDate(new Date(Date.now() + n * DAY))
const eventFields = (o: Record<string, string> = {}) => ({
  title: 'Dentiste',
  ...dateFields(inDays(20), 'date'),
  time: '9h30',
  place: 'Cabinet dentaire Gambetta',
  professional: 'Dr Claire Lambert',
  notes: 'Détartrage',
  ...o,
})

describe('agenda : rendez-vous, rappels, .ics, lien privé, tâche quotidienne', () => {
  let t: TestApp
  let camille: Agent
  let camilleId: string
  let leoId: string
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    camilleId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
    leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  const newEvent = async (a: Agent, o: Record<string, string> = {}) => {
    const r = await submitForm(a, '/agenda/nouveau', eventFields(o))
    expect(r.status).toBe(303)
    return r.headers.location.split('/').pop()!
  }

  it('montre les rendez-vous de démonstration : à venir (Dr Bernard) et historique (Dr Haddad, honoré), sans cache', async () => {
    const r = await camille.get('/agenda')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    expect(h1(r.text)).toBe('Agenda')
    expect($('#a-venir').text()).toContain('Dr Sophie Bernard')
    expect($('#a-venir').text()).toContain('Confirmé')
    expect($('#historique').text()).toContain('Dr Karim Haddad')
    expect($('#historique').text()).toContain('Honoré')
    expect($('.govuk-service-navigation a[href="/agenda"]').text()).toContain('Agenda')
  })

  it('crée, modifie et annule un rendez-vous ; chaque changement dans l’historique d’activité', async () => {
    const id = await newEvent(camille)
    const page = await camille.get(`/agenda/${id}`)
    expect(h1(page.text)).toBe('Dentiste')
    expect(page.text).toContain('9 h 30')
    const row = await t.db('agenda_events').where({ id }).first()
    expect(row).toMatchObject({ person_id: camilleId, time: '09:30', status: 'confirme', place: 'Cabinet dentaire Gambetta' })
    let r = await submitForm(camille, `/agenda/${id}/modifier`, {
      ...eventFields({ title: 'Dentiste (contrôle)', time: '' }),
      status: 'confirme',
    })
    expect(r.status).toBe(303)
    expect(await t.db('agenda_events').where({ id }).first()).toMatchObject({ title: 'Dentiste (contrôle)', time: null })
    // A future appointment cannot be «Honoré».
    r = await submitForm(camille, `/agenda/${id}/modifier`, { ...eventFields(), status: 'honore' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'status')).toContain('à venir')
    expect((await t.db('agenda_events').where({ id }).first()).status).toBe('confirme')
    r = await submitForm(camille, `/agenda/${id}`, {}, `/agenda/${id}/annuler`)
    expect(r.status).toBe(303)
    expect((await t.db('agenda_events').where({ id }).first()).status).toBe('annule')
    const actions = (await t.db('activity_log').where({ subject_person_id: camilleId, object_id: id }).orderBy('seq')).map((a) => a.action)
    expect(actions).toEqual(['agenda.event_created', 'agenda.event_updated', 'agenda.event_cancelled'])
  })

  it('refuse une saisie incorrecte : message, résumé, titre « Erreur : », formulaire gardé, rien créé', async () => {
    const before = await t.db('agenda_events').count({ n: '*' }).first()
    const r = await submitForm(
      camille,
      '/agenda/nouveau',
      eventFields({ title: '', 'date-day': '31', 'date-month': '2', time: '25h', notes: 'x'.repeat(2001), place: 'Lieu gardé' }),
    )
    expect(r.status).toBe(400)
    const $ = cheerio.load(r.text)
    expect($('title').text()).toMatch(/^Erreur : /)
    expect($('.govuk-error-summary li').length).toBe(4)
    expect(errorText(r.text, 'title')).toContain('Saisissez un titre')
    expect(errorText(r.text, 'date')).toContain('vraie date')
    expect(errorText(r.text, 'time')).toContain('9h30')
    expect($('#place').attr('value')).toBe('Lieu gardé')
    expect($('#date-day').attr('value')).toBe('31')
    expect(await t.db('agenda_events').count({ n: '*' }).first()).toEqual(before)
  })

  it('rappels : la veille ou à une date, 10 au plus, jamais dans le passé', async () => {
    const id = await newEvent(camille, dateFields(inDays(30), 'date'))
    let r = await submitForm(camille, `/agenda/${id}`, { when: 'veille' }, `/agenda/${id}/rappels`)
    expect(r.status).toBe(303)
    r = await submitForm(camille, `/agenda/${id}`, { when: 'veille' }, `/agenda/${id}/rappels`)
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'when')).toContain('déjà un rappel')
    r = await submitForm(camille, `/agenda/${id}`, { when: 'date', ...dateFields(inDays(-1), 'remindOn') }, `/agenda/${id}/rappels`)
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'remindOn')).toContain('déjà passée')
    expect(cheerio.load(r.text)('#remindOn-day').attr('value')).toBe(String(Number(inDays(-1).slice(8))))
    r = await submitForm(camille, `/agenda/${id}`, {}, `/agenda/${id}/rappels`)
    expect(errorText(r.text, 'when')).toBe('Choisissez quand recevoir le rappel')
    for (let i = 1; i <= 9; i++) {
      r = await submitForm(camille, `/agenda/${id}`, { when: 'date', ...dateFields(inDays(i), 'remindOn') }, `/agenda/${id}/rappels`)
      expect(r.status).toBe(303)
    }
    const rows = await t.db('agenda_reminders').where({ event_id: id })
    expect(rows).toHaveLength(10)
    expect(rows.map((x) => x.remind_on)).toContain(dayBefore(inDays(30)))
    // The 11th: the form is gone and a forged post is refused.
    const page = await camille.get(`/agenda/${id}`)
    expect(page.text).toContain('maximum de 10 rappels')
    const token = cheerio.load(page.text)('main input[name="_csrf"]').first().attr('value')
    r = await camille
      .post(`/agenda/${id}/rappels`)
      .type('form')
      .send({ _csrf: token, when: 'date', ...dateFields(inDays(15), 'remindOn') })
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('.govuk-error-summary').text()).toContain('10 rappels')
    expect(await t.db('agenda_reminders').where({ event_id: id })).toHaveLength(10)
    // Removing one.
    const one = rows.find((x) => x.kind === 'date')!
    r = await submitForm(camille, `/agenda/${id}`, {}, `/agenda/${id}/rappels/${one.id}/supprimer`)
    expect(r.status).toBe(303)
    expect(await t.db('agenda_reminders').where({ event_id: id })).toHaveLength(9)
  })

  it('le .ics d’un rendez-vous se télécharge connecté ; un autre patient ou un professionnel ne l’atteint pas', async () => {
    const id = await newEvent(camille, { title: 'Kiné, séance 1; bilan', notes: 'Ligne 1\nLigne 2' })
    const r = await camille.get(`/agenda/${id}/rendez-vous.ics`)
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toContain('text/calendar')
    expect(r.headers['cache-control']).toContain('no-store')
    expect(r.text).toContain('SUMMARY:Kiné\\, séance 1\\; bilan')
    expect(r.text).toContain('DESCRIPTION:Professionnel : Dr Claire Lambert\\nLigne 1\\nLigne 2')
    expect(r.text).toMatch(/DTSTART:\d{8}T\d{6}Z/)
    expect(r.text.split('\r\n')[0]).toBe('BEGIN:VCALENDAR')
    const pro = agent(t.app)
    await signIn(pro, t.db, 'professional', PROS.bernard.login, PROS.bernard.password)
    expect((await pro.get(`/agenda/${id}/rendez-vous.ics`)).status).toBe(403)
    expect((await agent(t.app).get(`/agenda/${id}/rendez-vous.ics`)).status).toBe(303)
    expect((await camille.get('/agenda/00000000-0000-0000-0000-000000000000')).status).toBe(404)
  })

  it('lien privé : montré une fois, sans connexion, sans lieu ni notes, titres seulement si choisi, révocable', async () => {
    let r = await submitForm(camille, '/agenda/calendrier-prive', {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'detail')).toContain('Choisissez')
    r = await submitForm(camille, '/agenda/calendrier-prive', { detail: 'minimal' })
    expect(r.status).toBe(303)
    let page = await camille.get('/agenda/calendrier-prive')
    const url = cheerio.load(page.text)('#lien-prive').text()
    expect(url).toMatch(/\/calendrier\/[A-Za-z0-9_-]{43}\.ics$/)
    page = await camille.get('/agenda/calendrier-prive')
    expect(cheerio.load(page.text)('#lien-prive').length).toBe(0)
    const path = new URL(url).pathname
    const stored = await t.db('calendar_links').where({ person_id: camilleId }).first()
    expect(stored.token_hash).not.toContain(path.slice(11, 54))
    const feed = await agent(t.app).get(path)
    expect(feed.status).toBe(200)
    expect(feed.headers['cache-control']).toContain('no-store')
    expect(feed.text).toContain('SUMMARY:Rendez-vous (Mon espace santé)')
    expect(feed.text).not.toContain('Cardiologie')
    expect(feed.text).not.toContain('Hôpital Tenon')
    expect(feed.text).not.toContain('LOCATION')
    expect(feed.text).not.toContain('Dentiste')
    // With titles.
    await submitForm(camille, '/agenda/calendrier-prive', { detail: 'titles' }, '/agenda/calendrier-prive')
    const url2 = cheerio
      .load((await camille.get('/agenda/calendrier-prive')).text)('#lien-prive')
      .text()
    const feed2 = await agent(t.app).get(new URL(url2).pathname)
    expect(feed2.text).toContain('SUMMARY:Consultation de cardiologie')
    expect(feed2.text).not.toContain('Carte Vitale')
    expect(feed2.text).not.toContain('LOCATION')
    // Revoke the first.
    r = await submitForm(camille, '/agenda/calendrier-prive', {}, `/agenda/calendrier-prive/${stored.id}/revoquer`)
    expect(r.status).toBe(303)
    expect((await agent(t.app).get(path)).status).toBe(404)
    expect((await agent(t.app).get(new URL(url2).pathname)).status).toBe(200)
    expect((await agent(t.app).get('/calendrier/inconnu.ics')).status).toBe(404)
    const actions = (
      await t.db('activity_log').where({ subject_person_id: camilleId }).whereLike('action', 'agenda.calendar_link%').orderBy('seq')
    ).map((a) => a.action)
    expect(actions).toEqual(['agenda.calendar_link_created', 'agenda.calendar_link_created', 'agenda.calendar_link_revoked'])
  })

  it('recommandations : elles savent ce qui a été fait (remboursements, rendez-vous honorés) et ce qui est pris (Planifié)', async () => {
    const rowsOf = async () => {
      const r = await camille.get('/agenda/recommandations')
      const $ = cheerio.load(r.text)
      return $('#recommandations tbody tr')
        .toArray()
        .map((tr) => $(tr).text().replace(/\s+/g, ' '))
    }
    const frDate = frenchDate
    let rows = await rowsOf()
    // The demo mammography of her reimbursements (CCAM QEQK004): «Réalisé» with its date, then the next window.
    const mammography = await t.db('reimbursements').where({ person_id: camilleId, act_code: 'QEQK004' }).first()
    const breast = rows.filter((x) => x.includes('cancer du sein'))
    expect(breast[0]).toContain('Réalisé')
    expect(breast[0]).toContain('Remboursement : Mammographie de dépistage')
    expect(breast[1]).toContain('À planifier')
    expect(breast[0]).toContain(frenchDate(mammography.care_date))
    const twoYearsOn = `${Number(mammography.care_date.slice(0, 4)) + 2}${mammography.care_date.slice(4)}`
    expect(breast[1]).toContain(`Du ${frenchDate(twoYearsOn)}`) // the next one 2 years after the mammography
    // The booked HPV test: «Planifié» with its date.
    const booked = await t.db('agenda_events').where({ person_id: camilleId, prevention_rule: 'depistage-col-hpv' }).first()
    const cervix = rows.find((x) => x.includes('test HPV'))!
    expect(cervix).toContain('Planifié')
    expect(cervix).toContain('Rendez-vous : Test HPV de dépistage')
    expect(cervix).not.toContain('Ajouter à mon agenda')
    expect(booked.date > isoDate()).toBe(true)
    expect(rows.find((x) => x.includes('colorectal'))).toContain('À planifier')
    expect(rows.some((x) => x.includes('grippe'))).toBe(false) // 58 years old

    // «Ajouter à mon agenda» pre-fills; booked → «Planifié»; honoured → «Réalisé» and the next window.
    const form = await camille.get('/agenda/nouveau?recommandation=depistage-colorectal')
    expect(cheerio.load(form.text)('#title').attr('value')).toBe('Test de dépistage du cancer colorectal')
    const res = await submitForm(camille, '/agenda/nouveau?recommandation=depistage-colorectal', {
      ...eventFields({ title: 'Test de dépistage du cancer colorectal' }),
      ...dateFields(inDays(4), 'date'),
      preventionRule: 'depistage-colorectal',
    })
    const id = res.headers.location.split('/').pop()!
    expect((await t.db('agenda_events').where({ id }).first()).prevention_rule).toBe('depistage-colorectal')
    rows = await rowsOf()
    expect(rows.find((x) => x.includes('colorectal'))).toContain('Planifié')
    expect(rows.find((x) => x.includes('colorectal'))).toContain(frDate(inDays(4)))
    await submitForm(camille, `/agenda/${id}/modifier`, {
      ...eventFields({ title: 'Test de dépistage du cancer colorectal' }),
      ...dateFields(inDays(-3), 'date'),
      status: 'honore',
    })
    rows = await rowsOf()
    const colon = rows.filter((x) => x.includes('colorectal'))
    expect(colon[0]).toContain('Réalisé')
    expect(colon[0]).toContain(frDate(inDays(-3)))
    expect(colon[1]).toContain('À planifier')
  })

  it('recommandations : un acte remboursé importé par la caisse (code CCAM ou libellé) marque « Réalisé »', async () => {
    // A woman of 52 with nothing recorded, then her reimbursements arrive.
    const [p] = await t
      .db('insured_persons')
      .insert({ nir: makeNir('F', '1974-05-02'), last_name: 'Test', first_names: 'Rose', sex: 'F', birth_date: '1974-05-02' })
      .returning('id')
    const today = isoDate()
    const list = () => t.services.agenda.recommendations({ accountId: 'x', kind: 'patient', displayName: 'Rose', personId: p.id }, today)
    await t.db('spaces').insert({ person_id: p.id, state: 'activated', state_changed_at: new Date() })
    expect((await list()).find((r) => r.ruleId === 'depistage-sein')?.status).toBe('À planifier')
    await t.db('reimbursements').insert([
      {
        reference: 'RB-TEST-J001',
        person_id: p.id,
        care_date: inDays(-10),
        act: 'Acte d’imagerie',
        act_code: 'QEQK004',
        care_type: 'imagerie',
        professional: 'Centre',
        amount_paid_cents: 6600,
        amount_reimbursed_cents: 6600,
      },
      {
        reference: 'RB-TEST-J002',
        person_id: p.id,
        care_date: inDays(-20),
        act: 'Test immunologique de dépistage du cancer colorectal',
        care_type: 'biologie',
        professional: 'Laboratoire',
        amount_paid_cents: 0,
        amount_reimbursed_cents: 0,
      },
    ])
    const after = await list()
    expect(after.find((r) => r.ruleId === 'depistage-sein')).toMatchObject({ status: 'Réalisé', doneOn: inDays(-10) })
    expect(after.find((r) => r.ruleId === 'depistage-colorectal')).toMatchObject({ status: 'Réalisé', doneOn: inDays(-20) })
  })

  it('tâche quotidienne : chaque rappel envoyé une seule fois, sans détail de santé ; avis de prévention selon les réglages', async () => {
    const jobs = t.services.agendaJobs
    const id = await newEvent(camille, { title: 'Psychiatre', notes: 'Secret', ...dateFields(inDays(5), 'date') })
    await submitForm(camille, `/agenda/${id}`, { when: 'veille' }, `/agenda/${id}/rappels`)
    const remindOn = dayBefore(inDays(5))
    await jobs.sendReminders(inDays(3)) // the earlier tests' reminders
    expect((await t.db('agenda_reminders').where({ event_id: id }).first()).sent_at).toBeNull()
    const sent = await jobs.sendReminders(remindOn)
    expect(sent).toBeGreaterThanOrEqual(1)
    expect(await jobs.sendReminders(remindOn)).toBe(0)
    const mails = await t.db('outbox').where({ recipient: CAMILLE.email, kind: 'agenda-reminder' })
    const mine = mails.filter((m) => m.body.includes(inDays(5).split('-').reverse().join('/')))
    expect(mine).toHaveLength(1)
    expect(mine[0].body).not.toContain('Psychiatre')
    expect(mine[0].body).not.toContain('Secret')
    expect(mine[0].body).toContain('/agenda')
    expect((await t.db('agenda_reminders').where({ event_id: id }).first()).sent_at).not.toBeNull()

    // Prevention notices: once per window; none when the setting is off.
    const today = isoDate()
    let res = await jobs.sendPreventionNotices(today)
    // What is done (the mammography reimbursed, the colorectal test honoured) or booked (the HPV test) gives no notice.
    expect(await t.db('prevention_notices').where({ person_id: camilleId }).pluck('rule_id')).toEqual([])
    expect(await t.db('outbox').where({ recipient: CAMILLE.email, kind: 'prevention-due' }).first()).toBeUndefined()
    // The HPV test is cancelled: it is due again, and she is told once.
    await t.db('agenda_events').where({ person_id: camilleId, prevention_rule: 'depistage-col-hpv' }).update({ status: 'annule' })
    res = await jobs.sendPreventionNotices(today)
    expect(res.notices).toBe(1)
    const notice = await lastMessage(t.db, CAMILLE.email, 'prevention-due')
    expect(notice.body).not.toMatch(/sein|colorectal|mammographie/i)
    const count = await t.db('outbox').where({ recipient: CAMILLE.email, kind: 'prevention-due' }).count({ n: '*' }).first()
    expect(Number(count!.n)).toBe(1)
    res = await jobs.sendPreventionNotices(today)
    expect(res.emails).toBe(0)
    await t.db('prevention_notices').del()
    await t
      .db('accounts')
      .where({ login: CAMILLE.login })
      .update({ notification_prefs: JSON.stringify({ prevention_due: false }) })
    await jobs.sendPreventionNotices(today)
    // Nothing noted for Camille nor for the children she represents (other demo people may be told).
    const hers = t.db('representatives').where({ representative_person_id: camilleId }).select('child_person_id')
    expect(await t.db('prevention_notices').where({ person_id: camilleId }).orWhereIn('person_id', hers).first()).toBeUndefined()
    await t.db('accounts').where({ login: CAMILLE.login }).update({ notification_prefs: '{}' })
    expect(t.services.jobs.some((j) => j.name === 'agenda-daily' && j.cron)).toBe(true)
  })

  it('sur le profil de Léo : son agenda et ses vaccinations, pas ceux de Camille', async () => {
    const page = await camille.get('/mon-espace')
    const token = cheerio.load(page.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!
    await camille.post('/changer-de-profil').type('form').send({ _csrf: token, profil: leoId })
    let r = await camille.get('/agenda')
    expect(r.text).toContain('Profil de Léo')
    expect(r.text).not.toContain('Dr Karim Haddad')
    const id = await newEvent(camille, { title: 'Vaccin de Léo' })
    expect((await t.db('agenda_events').where({ id }).first()).person_id).toBe(leoId)
    const row = await t.db('activity_log').where({ subject_person_id: leoId, action: 'agenda.event_created' }).first()
    expect(row.actor_role).toBe('representative')
    r = await camille.get('/profil-medical/vaccinations')
    expect(r.text).toContain('ROR')
    r = await camille.get('/agenda/recommandations')
    expect(r.text).toContain('papillomavirus')
    // Camille's own event is not reachable from Léo's profile.
    const hers = await t.db('agenda_events').where({ person_id: camilleId }).first()
    expect((await camille.get(`/agenda/${hers.id}`)).status).toBe(404)
    const me = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
    const p2 = await camille.get('/mon-espace')
    await camille
      .post('/changer-de-profil')
      .type('form')
      .send({ _csrf: cheerio.load(p2.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!, profil: me })
  })
})

describe('vaccinations', () => {
  let t: TestApp
  let camille: Agent
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
  })
  afterAll(async () => {
    await t.close()
  })

  it('ajoute, modifie, supprime ; chaque changement dans l’historique ; la vaccination compte pour les recommandations', async () => {
    let r = await camille.get('/profil-medical/vaccinations')
    expect(h1(r.text)).toBe('Vaccinations')
    expect(cheerio.load(r.text)('#vaccinations tbody tr').length).toBe(3)
    r = await submitForm(camille, '/profil-medical/vaccinations/ajouter', {
      vaccine: 'ZONA',
      ...dateFields(inDays(-10), 'date'),
      dose: '1',
      professional: 'Pharmacie des Pyrénées',
      lot: 'AB12',
    })
    expect(r.status).toBe(303)
    const v = await t.db('vaccinations').where({ vaccine: 'ZONA' }).first()
    expect(v).toMatchObject({ dose: '1', lot: 'AB12', date: inDays(-10) })
    r = await submitForm(camille, `/profil-medical/vaccinations/${v.id}/modifier`, {
      vaccine: 'AUTRE',
      otherName: 'Fièvre jaune',
      ...dateFields(inDays(-10), 'date'),
      dose: 'R',
      professional: 'Centre de vaccinations internationales',
      lot: '',
    })
    expect(r.status).toBe(303)
    expect(await t.db('vaccinations').where({ id: v.id }).first()).toMatchObject({
      vaccine: 'AUTRE',
      other_name: 'Fièvre jaune',
      lot: null,
    })
    r = await camille.get('/profil-medical/vaccinations')
    expect(r.text).toContain('Fièvre jaune')
    r = await submitForm(camille, `/profil-medical/vaccinations/${v.id}/supprimer`, {})
    expect(r.status).toBe(303)
    expect(await t.db('vaccinations').where({ id: v.id }).first()).toBeUndefined()
    const actions = (await t.db('activity_log').where({ object_id: v.id }).orderBy('seq')).map((a) => a.action)
    expect(actions).toEqual(['vaccination.added', 'vaccination.updated', 'vaccination.deleted'])
  })

  it('refuse une date future ou avant la naissance, un vaccin inconnu, une dose manquante ; rien n’est enregistré', async () => {
    const before = await t.db('vaccinations').count({ n: '*' }).first()
    let r = await submitForm(camille, '/profil-medical/vaccinations/ajouter', {
      vaccine: 'ZONA',
      ...dateFields(inDays(1), 'date'),
      dose: '1',
      professional: 'X',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'date')).toContain('dans le passé')
    expect(cheerio.load(r.text)('title').text()).toMatch(/^Erreur : /)
    expect(cheerio.load(r.text)('#vaccine option[selected]').attr('value')).toBe('ZONA')
    r = await submitForm(camille, '/profil-medical/vaccinations/ajouter', {
      vaccine: 'ZONA',
      ...dateFields('1968-03-13', 'date'),
      dose: '1',
      professional: 'X',
    })
    expect(errorText(r.text, 'date')).toContain('14 mars 1968')
    r = await submitForm(camille, '/profil-medical/vaccinations/ajouter', {
      vaccine: 'RAGE',
      ...dateFields('2020-01-01', 'date'),
      professional: '',
    })
    const $ = cheerio.load(r.text)
    expect($('.govuk-error-summary li').length).toBe(3)
    // Short, so that the summary leaves the page's h1 on a phone's first screen; the example is in the hint.
    expect(errorText(r.text, 'professional')).toBe('Saisissez le professionnel ou le lieu de vaccination')
    r = await submitForm(camille, '/profil-medical/vaccinations/ajouter', {
      vaccine: 'AUTRE',
      ...dateFields('2020-01-01', 'date'),
      dose: '1',
      professional: 'X',
    })
    expect(errorText(r.text, 'otherName')).toBe('Saisissez le nom du vaccin')
    expect(await t.db('vaccinations').count({ n: '*' }).first()).toEqual(before)
    expect((await camille.get('/profil-medical/vaccinations/00000000-0000-0000-0000-000000000000/modifier')).status).toBe(404)
  })
})

describe('agenda : fin de la représentation', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('ni rappel ni lien privé pour l’ancien représentant quand la représentation a pris fin', async () => {
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
    const page = await camille.get('/mon-espace')
    await camille
      .post('/changer-de-profil')
      .type('form')
      .send({ _csrf: cheerio.load(page.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!, profil: leoId })
    const r = await submitForm(camille, '/agenda/nouveau', eventFields({ ...dateFields(inDays(3), 'date') }))
    const id = r.headers.location.split('/').pop()!
    await submitForm(camille, `/agenda/${id}`, { when: 'veille' }, `/agenda/${id}/rappels`)
    await submitForm(camille, '/agenda/calendrier-prive', { detail: 'minimal' }, '/agenda/calendrier-prive')
    const url = cheerio
      .load((await camille.get('/agenda/calendrier-prive')).text)('#lien-prive')
      .text()
    const path = new URL(url).pathname
    expect((await agent(t.app).get(path)).status).toBe(200)
    await t.db('representatives').where({ child_person_id: leoId }).update({ ended_at: t.db.fn.now() })
    expect((await agent(t.app).get(path)).status).toBe(404)
    const before = await t.db('outbox').where({ recipient: CAMILLE.email, kind: 'agenda-reminder' }).count({ n: '*' }).first()
    expect(await t.services.agendaJobs.sendReminders(inDays(2))).toBeGreaterThanOrEqual(1)
    expect(await t.db('outbox').where({ recipient: CAMILLE.email, kind: 'agenda-reminder' }).count({ n: '*' }).first()).toEqual(before)
  })
})
