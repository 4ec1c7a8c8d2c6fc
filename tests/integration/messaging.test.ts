import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, lastMessage, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { createAccount, createPerson, dateFields, errorText, h1 } from '../helpers/lifecycle'
import { simplePdf } from '../../src/infrastructure/simplePdf'
import { formatNir } from '../../src/domain/nir'

type Fields = Record<string, string>

/** Posts a multipart message form the way a browser does: `_csrf` first, the fields, the file last (empty when none). */
async function postMultipart(a: Agent, pageUrl: string, action: string, fields: Fields, file?: { bytes: Buffer; name: string }) {
  const page = await a.get(pageUrl)
  expect(page.status).toBe(200)
  const $ = cheerio.load(page.text)
  const token = $(`form[action="${action}"] input[name="_csrf"]`).attr('value') ?? csrfOf(page.text)
  const req = a.post(action).field('_csrf', token)
  for (const [k, v] of Object.entries(fields)) req.field(k, v)
  if (file) req.attach('attachment', file.bytes, file.name)
  else req.attach('attachment', Buffer.alloc(0), '')
  return req
}

const camilleIdentity = () => ({
  nir: formatNir(DEMO_PERSONS.camille.nir),
  ...dateFields(DEMO_PERSONS.camille.birth_date),
  lastName: 'MARTIN',
})

describe('Messagerie sécurisée', () => {
  let t: TestApp
  let camille: Agent
  let haddad: Agent
  let moreau: Agent
  let camilleId: string
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    haddad = agent(t.app)
    moreau = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    await signIn(haddad, t.db, 'professional', PROS.haddad.login, PROS.haddad.password)
    await signIn(moreau, t.db, 'professional', PROS.moreau.login, PROS.moreau.password)
    camilleId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  const haddadConversation = async () => {
    const pro = await t.db('professionals').where({ rpps: PROS.haddad.login }).first()
    return t.db('conversations').where({ person_id: camilleId, professional_id: pro.id }).orderBy('created_at').first()
  }

  const conversationsOf = async (a: Agent, base: string) => {
    const $ = cheerio.load((await a.get(base)).text)
    return $('tbody tr')
      .map((_, tr) => ({
        subject: $(tr).find('td a').first().text().trim(),
        href: $(tr).find('td a').first().attr('href')!,
        state: $(tr).find('td').last().text().trim(),
      }))
      .get()
  }

  it('the demo inbox: two conversations, one unread message counted in the navigation with a hidden «message non lu», no-store', async () => {
    const r = await camille.get('/messagerie')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    const nav = $('.govuk-service-navigation__link[href="/messagerie"]')
    expect(nav.find('[aria-hidden="true"]').text()).toBe('(1)')
    expect(nav.find('.govuk-visually-hidden').text()).toBe('(1 message non lu)')
    const list = await conversationsOf(camille, '/messagerie')
    expect(list.map((c) => c.subject)).toEqual(['Résultats de votre holter', 'Renouvellement de votre ordonnance'])
    expect(list.map((c) => c.state)).toEqual(['Ouverte', 'Clôturée'])
  })

  it('reading marks as read; the closed conversation shows who closed it and why, with no reply form', async () => {
    const [holter, closed] = await conversationsOf(camille, '/messagerie')
    const page = await camille.get(holter.href)
    expect(h1(page.text)).toBe('Résultats de votre holter')
    expect(page.text).toContain('Les résultats de votre holter sont normaux')
    // The page that marked the message read already shows the new count (not the one from before).
    expect(cheerio.load(page.text)('.govuk-service-navigation__link[href="/messagerie"]').text().trim()).toBe('Messagerie')
    const after = cheerio.load((await camille.get('/messagerie')).text)
    expect(after('.govuk-service-navigation__link[href="/messagerie"]').text().trim()).toBe('Messagerie')
    const c = cheerio.load((await camille.get(closed.href)).text)
    expect(c('#conversation-close').text()).toContain('Dr Sophie Bernard a clôturé cette conversation')
    expect(c('#conversation-close').text()).toContain('Votre ordonnance est renouvelée')
    expect(c('textarea[name="body"]').length).toBe(0)
    // Writing into it anyway is refused (403) and stores nothing.
    const id = closed.href.split('/').pop()!
    const before = await t.db('messages').where({ conversation_id: id }).count({ n: '*' })
    const r = await postMultipart(camille, holter.href, `/messagerie/${id}/repondre`, { body: 'Encore une question' })
    expect(r.status).toBe(403)
    expect(await t.db('messages').where({ conversation_id: id }).count({ n: '*' })).toEqual(before)
  })

  it('a professional starts a conversation (no consent needed) with an attachment; the patient gets an e-mail without content, sees it, replies', async () => {
    const r = await postMultipart(
      moreau,
      '/pro/messagerie/nouveau',
      '/pro/messagerie/nouveau',
      { ...camilleIdentity(), subject: 'Votre traitement', body: 'Bonjour, votre traitement est prêt à la pharmacie.' },
      { bytes: simplePdf(['Ordonnance delivree']), name: 'délivrance.pdf' },
    )
    expect(r.status).toBe(303)
    const convUrl = r.headers.location
    const convId = convUrl.split('/').pop()!
    const row = await t.db('conversations').where({ id: convId }).first()
    expect(row.person_id).toBe(camilleId)
    // Bodies are sealed at rest.
    const msg = await t.db('messages').where({ conversation_id: convId }).first()
    expect(msg.body_sealed.toString('latin1')).not.toContain('pharmacie')
    const att = await t.db('message_attachments').where({ message_id: msg.id }).first()
    expect(att).toMatchObject({ mime: 'application/pdf', title: 'délivrance.pdf' })
    const chunk = await t.db('message_attachment_chunks').where({ attachment_id: att.id }).first()
    expect(chunk.data.toString('latin1')).not.toContain('%PDF')
    // E-mail: says a message arrived, nothing of its content nor its author.
    const mail = await lastMessage(t.db, CAMILLE.email, 'new-message')
    expect(mail.subject).toBe('Vous avez reçu un message')
    expect(mail.body).not.toMatch(/traitement|pharmacie|Moreau/i)
    // Activity rows: the send, in the patient's history.
    const act = await t.db('activity_log').where({ subject_person_id: camilleId, action: 'message.start', object_id: convId })
    expect(act.length).toBe(1)
    // The patient sees it, replies.
    const page = cheerio.load((await camille.get(`/messagerie/${convId}`)).text)
    expect(page('h1').text().trim()).toBe('Votre traitement')
    expect(page('a[download]').text()).toContain('délivrance.pdf')
    const reply = await postMultipart(camille, `/messagerie/${convId}`, `/messagerie/${convId}/repondre`, {
      body: 'Merci, je passe demain.',
    })
    expect(reply.status).toBe(303)
    const proPage = await moreau.get(`/pro/messagerie/${convId}`)
    expect(proPage.text).toContain('Merci, je passe demain.')
    expect((await t.db('activity_log').where({ subject_person_id: camilleId, action: 'message.send', object_id: convId })).length).toBe(1)
    // The professional's read of the conversation is logged too.
    expect(
      (await t.db('activity_log').where({ subject_person_id: camilleId, action: 'message.read', object_id: convId })).length,
    ).toBeGreaterThan(0)
  })

  it('«Enregistrer dans mes documents»: one step, the document is in «Mes documents», encrypted, and the button becomes a link', async () => {
    const conv = await t.db('conversations').where({ person_id: camilleId }).orderBy('created_at', 'desc').first()
    const page = await camille.get(`/messagerie/${conv.id}`)
    const $ = cheerio.load(page.text)
    const action = $('form[action$="/enregistrer"]').attr('action')!
    const before = Number((await t.db('documents').where({ person_id: camilleId }).count({ n: '*' }))[0].n)
    const r = await submitForm(camille, `/messagerie/${conv.id}`, {}, action)
    expect(r.status).toBe(303)
    expect(Number((await t.db('documents').where({ person_id: camilleId }).count({ n: '*' }))[0].n)).toBe(before + 1)
    const doc = await t.db('documents').where({ person_id: camilleId }).orderBy('created_at', 'desc').first()
    expect(doc).toMatchObject({ title: 'délivrance', category: 'AUTR_DOC', mime: 'application/pdf' })
    const after = cheerio.load((await camille.get(`/messagerie/${conv.id}`)).text)
    expect(after(`a[href="/documents/${doc.id}"]`).length).toBe(1)
    const docPage = await camille.get(`/documents/${doc.id}`)
    expect(docPage.status).toBe(200)
  })

  it('the professional closes with a reason; the patient cannot write; a new professional message reopens it', async () => {
    const conv = await t.db('conversations').where({ person_id: camilleId }).orderBy('created_at', 'desc').first()
    const empty = await submitForm(moreau, `/pro/messagerie/${conv.id}/clore`, { reason: '' })
    expect(empty.status).toBe(400)
    expect(errorText(empty.text, 'reason')).toBe('Indiquez pourquoi vous clôturez la conversation')
    const closed = await submitForm(moreau, `/pro/messagerie/${conv.id}/clore`, { reason: 'Traitement délivré.' })
    expect(closed.status).toBe(303)
    const page = cheerio.load((await camille.get(`/messagerie/${conv.id}`)).text)
    expect(page('#conversation-close').text()).toContain('Traitement délivré.')
    const write = await camille.get('/messagerie/ecrire')
    const w = cheerio.load(write.text)
    const moreauId = (await t.db('professionals').where({ rpps: PROS.moreau.login }).first()).id
    expect(w(`input[value="${moreauId}"]`).length).toBe(0)
    const refused = await submitForm(camille, '/messagerie/ecrire', { professional: moreauId, body: 'Une autre question' })
    expect(refused.status).toBe(400)
    expect(errorText(refused.text, 'professional')).toMatch(/uniquement écrire à un professionnel de santé qui vous a déjà écrit/)
    const again = await postMultipart(moreau, `/pro/messagerie/${conv.id}`, `/pro/messagerie/${conv.id}/repondre`, {
      body: 'Finalement, une boîte manque.',
    })
    expect(again.status).toBe(303)
    expect((await t.db('conversations').where({ id: conv.id }).first()).status).toBe('open')
    const ok = await submitForm(camille, '/messagerie/ecrire', { professional: moreauId, body: 'Je repasse la chercher.' })
    expect(ok.status).toBe(303)
    expect(ok.headers.location).toBe(`/messagerie/${conv.id}#dernier-message`)
  })

  it('«Écrire à ce patient» from the portal: the patient found with «Trouver un patient», no identity to type again', async () => {
    const found = await submitForm(moreau, '/pro/patient', camilleIdentity())
    expect(found.status).toBe(303)
    const dossier = cheerio.load((await moreau.get('/pro/patient/dossier')).text)
    expect(dossier('a[href="/pro/messagerie/nouveau?patient=dossier"]').text()).toBe('Écrire à ce patient')
    const page = await moreau.get('/pro/messagerie/nouveau?patient=dossier')
    expect(h1(page.text)).toBe('Écrire à Camille Martin')
    expect(cheerio.load(page.text)('input[name="nir"]').length).toBe(0)
    const r = await postMultipart(moreau, '/pro/messagerie/nouveau?patient=dossier', '/pro/messagerie/nouveau', {
      patient: 'dossier',
      subject: 'Vaccin',
      body: 'Votre vaccin est arrivé.',
    })
    expect(r.status).toBe(303)
    const conv = await t
      .db('conversations')
      .where({ id: r.headers.location.split('/').pop() })
      .first()
    expect(conv.person_id).toBe(camilleId)
    // Without a patient found in this session, the hidden field alone does nothing: the identity is asked.
    const other = agent(t.app)
    await signIn(other, t.db, 'professional', PROS.bernard.login, PROS.bernard.password)
    const refused = await postMultipart(other, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      patient: 'dossier',
      subject: 'x',
      body: 'x',
    })
    expect(refused.status).toBe(400)
    expect(errorText(refused.text, 'lastName')).toBe('Saisissez le nom de famille du patient')
  })

  it('a patient cannot start a conversation with a professional who never wrote', async () => {
    const petitId = (await t.db('professionals').where({ rpps: PROS.petit.login }).first()).id
    const r = await submitForm(camille, '/messagerie/ecrire', { professional: petitId, body: 'Bonjour' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'professional')).toMatch(/uniquement/)
    expect(await t.db('conversations').where({ person_id: camilleId, professional_id: petitId }).first()).toBeUndefined()
    expect((await camille.get('/pro/messagerie/nouveau')).status).toBe(403)
  })

  it('IDOR: another patient and another professional get 404 on Camille’s conversation and attachment', async () => {
    const att = await t
      .db('message_attachments as a')
      .join('messages as m', 'm.id', 'a.message_id')
      .join('conversations as c', 'c.id', 'm.conversation_id')
      .where('c.person_id', camilleId)
      .first('a.id', 'c.id as conversation_id')
    const conv = { id: att.conversation_id as string }
    const other = await createAccount(t.db)
    const stranger = agent(t.app)
    await signIn(stranger, t.db, 'patient', other.login, other.password)
    expect((await stranger.get(`/messagerie/${conv.id}`)).status).toBe(404)
    expect((await stranger.get(`/messagerie/pieces-jointes/${att.id}`)).status).toBe(404)
    const home = await stranger.get('/messagerie')
    const token = csrfOf(home.text)
    expect((await stranger.post(`/messagerie/pieces-jointes/${att.id}/enregistrer`).type('form').send({ _csrf: token })).status).toBe(404)
    expect((await stranger.post(`/messagerie/${conv.id}/archiver`).type('form').send({ _csrf: token })).status).toBe(404)
    expect((await haddad.get(`/pro/messagerie/${conv.id}`)).status).toBe(404)
    expect((await haddad.get(`/pro/messagerie/pieces-jointes/${att.id}`)).status).toBe(404)
    expect((await stranger.get('/messagerie/pas-un-identifiant')).status).toBe(404)
  })

  it('bad input: message over 5,000 characters, missing fields, unknown patient, closed or opposed space: French errors, form kept, nothing sent', async () => {
    const before = Number((await t.db('messages').count({ n: '*' }))[0].n)
    // Sent empty: five errors, each at its field, about the patient's number (not «votre numéro»); a short summary
    // that says how many and leads to the first, so that the h1 under it stays on a phone's first screen.
    let r = await postMultipart(haddad, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      nir: '',
      lastName: '',
      subject: '',
      body: '',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toBe('Saisissez le numéro de sécurité sociale du patient')
    expect(errorText(r.text, 'body')).toBe('Saisissez votre message')
    const empty = cheerio.load(r.text)('.govuk-error-summary')
    expect(empty.find('.govuk-error-summary__body p').text().trim()).toBe(
      'Il y a 5 erreurs, chacune signalée au champ à corriger. La première :',
    )
    expect(
      empty
        .find('a')
        .map((_i, a) => cheerio.load(a)('a').attr('href'))
        .get(),
    ).toEqual(['#nir'])
    const long = 'a'.repeat(5001)
    r = await postMultipart(haddad, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      ...camilleIdentity(),
      subject: '',
      body: long,
    })
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('title').text()).toMatch(/^Erreur : Écrire à un patient/)
    expect(errorText(r.text, 'body')).toBe('Le message doit contenir 5 000 caractères au maximum (il en contient 5 001)')
    expect(errorText(r.text, 'subject')).toBe("Saisissez l'objet du message")
    expect(cheerio.load(r.text)('textarea[name="body"]').val()).toBe(long)
    // Line breaks count once, as the character count shows them.
    r = await postMultipart(haddad, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      ...camilleIdentity(),
      lastName: 'Dupont',
      subject: 'Objet',
      body: 'x',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toMatch(/^Aucun patient ne correspond/)
    const opposed = await createPerson(t.db, { state: 'opposed' })
    r = await postMultipart(haddad, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      nir: opposed.nir,
      ...dateFields(opposed.birthDate),
      lastName: opposed.lastName,
      subject: 'Objet',
      body: 'x',
    })
    expect(errorText(r.text, 'nir')).toMatch(/s'est opposé/)
    const closed = await createPerson(t.db, { state: 'closed' })
    r = await postMultipart(haddad, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      nir: closed.nir,
      ...dateFields(closed.birthDate),
      lastName: closed.lastName,
      subject: 'Objet',
      body: 'x',
    })
    expect(errorText(r.text, 'nir')).toMatch(/est fermé/)
    const notified = await createPerson(t.db, { state: 'notified' })
    r = await postMultipart(haddad, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      nir: notified.nir,
      ...dateFields(notified.birthDate),
      lastName: notified.lastName,
      subject: 'Objet',
      body: 'x',
    })
    expect(errorText(r.text, 'nir')).toMatch(/pas encore créé/)
    // A file of another type than its name says.
    r = await postMultipart(
      haddad,
      '/pro/messagerie/nouveau',
      '/pro/messagerie/nouveau',
      { ...camilleIdentity(), subject: 'Objet', body: 'x' },
      { bytes: Buffer.from('du texte'), name: 'scan.pdf' },
    )
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'attachment')).toMatch(/ne correspond pas/)
    // Issue 16 §5: with an empty subject too, both errors come at once (not the file's on the next try).
    r = await postMultipart(
      haddad,
      '/pro/messagerie/nouveau',
      '/pro/messagerie/nouveau',
      { ...camilleIdentity(), subject: '', body: 'x' },
      { bytes: Buffer.from('du texte'), name: 'scan.pdf' },
    )
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'subject')).not.toBe('')
    expect(errorText(r.text, 'attachment')).toMatch(/ne correspond pas/)
    expect(Number((await t.db('messages').count({ n: '*' }))[0].n)).toBe(before)
    // A reply over the limit (CRLF line breaks count as one character, as in the browser).
    const conv = await haddadConversation()
    const exact = `${'b'.repeat(4998)}\r\nc`
    r = await postMultipart(camille, `/messagerie/${conv.id}`, `/messagerie/${conv.id}/repondre`, { body: `${exact}x` })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'body')).toMatch(/5 000 caractères au maximum/)
    r = await postMultipart(camille, `/messagerie/${conv.id}`, `/messagerie/${conv.id}/repondre`, { body: exact })
    expect(r.status).toBe(303)
  })

  it('archive: the conversation leaves the inbox for the archive and comes back when the professional writes', async () => {
    const conv = await haddadConversation()
    const r = await submitForm(camille, `/messagerie/${conv.id}`, {}, `/messagerie/${conv.id}/archiver`)
    expect(r.status).toBe(303)
    expect((await conversationsOf(camille, '/messagerie')).map((c) => c.href)).not.toContain(`/messagerie/${conv.id}`)
    expect((await conversationsOf(camille, '/messagerie/archives')).map((c) => c.href)).toContain(`/messagerie/${conv.id}`)
    const again = await postMultipart(haddad, `/pro/messagerie/${conv.id}`, `/pro/messagerie/${conv.id}/repondre`, {
      body: 'Un dernier point.',
    })
    expect(again.status).toBe(303)
    expect((await conversationsOf(camille, '/messagerie')).map((c) => c.href)).toContain(`/messagerie/${conv.id}`)
  })

  it('a representative reads and writes for Léo; the activity rows name the role', async () => {
    const leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
    const r = await postMultipart(haddad, '/pro/messagerie/nouveau', '/pro/messagerie/nouveau', {
      nir: DEMO_PERSONS.leo.nir,
      ...dateFields(DEMO_PERSONS.leo.birth_date),
      lastName: 'Martin',
      subject: 'Léo : contrôle',
      body: 'Bonjour, un contrôle est à prévoir.',
    })
    expect(r.status).toBe(303)
    const convId = r.headers.location.split('/').pop()!
    // Léo has no account: the e-mail goes to his representative, without content.
    const mail = await lastMessage(t.db, CAMILLE.email, 'new-message')
    expect(mail.body).not.toContain('contrôle')
    // Camille on her own profile does not see Léo's conversation.
    expect((await camille.get(`/messagerie/${convId}`)).status).toBe(404)
    const home = await camille.get('/mon-espace')
    const token = cheerio.load(home.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!
    expect((await camille.post('/changer-de-profil').type('form').send({ _csrf: token, profil: leoId })).status).toBe(303)
    const list = await conversationsOf(camille, '/messagerie')
    expect(list.map((c) => c.subject)).toEqual(['Léo : contrôle'])
    const reply = await postMultipart(camille, `/messagerie/${convId}`, `/messagerie/${convId}/repondre`, {
      body: 'Merci, nous prenons rendez-vous.',
    })
    expect(reply.status).toBe(303)
    const m = await t.db('messages').where({ conversation_id: convId, author_side: 'representative' }).first()
    expect(m.author_name).toBe('Camille Martin, pour Léo Martin')
    const rows = await t.db('activity_log').where({ subject_person_id: leoId }).whereIn('action', ['message.read', 'message.send'])
    expect(rows.map((x) => x.actor_role)).toEqual(expect.arrayContaining(['representative']))
    const back = await camille.get('/mon-espace')
    const t2 = cheerio.load(back.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!
    await camille.post('/changer-de-profil').type('form').send({ _csrf: t2, profil: 'moi' })
  })

  it('a carer reads and writes Camille’s messages within the delegation, logged as «aidant», and may not download an attachment', async () => {
    const start = await postMultipart(
      moreau,
      '/pro/messagerie/nouveau',
      '/pro/messagerie/nouveau',
      { ...camilleIdentity(), subject: 'Compte rendu de consultation', body: 'Voici le compte rendu.' },
      { bytes: simplePdf(['Compte rendu']), name: 'compte-rendu.pdf' },
    )
    expect(start.status).toBe(303)
    const convId = start.headers.location.split('/').pop()!
    const att = await t
      .db('message_attachments as a')
      .join('messages as m', 'm.id', 'a.message_id')
      .where('m.conversation_id', convId)
      .first('a.id')
    const paul = await createAccount(t.db, { firstNames: 'Paul', lastName: 'Aidantmessagerie' })
    const delegation = (
      await t
        .db('carers')
        .insert({
          person_id: camilleId,
          carer_person_id: paul.id,
          status: 'active',
          invitation_expires_at: new Date(),
          starts_on: '2026-01-01',
          accepted_at: new Date(),
        })
        .returning('id')
    )[0].id
    const p = agent(t.app)
    await signIn(p, t.db, 'patient', paul.login, paul.password)
    // On his own profile, Paul does not see Camille's conversation.
    expect((await p.get(`/messagerie/${convId}`)).status).toBe(404)
    expect((await submitForm(p, '/aidants', { profil: camilleId }, '/aidants/agir')).status).toBe(303)

    const list = await conversationsOf(p, '/messagerie')
    expect(list.map((c) => c.subject)).toContain('Compte rendu de consultation')
    const page = await p.get(`/messagerie/${convId}`)
    expect(page.status).toBe(200)
    const $ = cheerio.load(page.text)
    expect($('#bandeau-profil').text()).toContain("Vous agissez en tant qu'aidant de Camille Martin")
    expect($('main').text()).toContain('Voici le compte rendu.')
    // The attachment is listed, with no download link, and its URL is refused.
    expect($('main').text()).toContain('compte-rendu.pdf')
    expect($(`a[href$="/pieces-jointes/${att.id}"]`).length).toBe(0)
    expect($('main').text()).toContain("En tant qu'aidant, vous ne pouvez pas télécharger les pièces jointes.")
    const dl = await p.get(`/messagerie/pieces-jointes/${att.id}`)
    expect(dl.status).toBe(403)
    expect(dl.headers['content-type']).not.toContain('pdf')
    expect(
      await t
        .db('activity_log')
        .where({ subject_person_id: camilleId, action: 'message.attachment.download', actor_role: 'carer' })
        .first(),
    ).toBeUndefined()

    // He replies: signed as Camille's carer, the professional is told.
    const reply = await postMultipart(p, `/messagerie/${convId}`, `/messagerie/${convId}/repondre`, { body: 'Bien reçu, merci.' })
    expect(reply.status).toBe(303)
    const m = await t.db('messages').where({ conversation_id: convId, author_side: 'carer' }).first()
    expect(m.author_name).toBe('Paul Aidantmessagerie, aidant de Camille Martin')
    const proView = await moreau.get(`/pro/messagerie/${convId}`)
    expect(proView.text).toContain('Paul Aidantmessagerie, aidant de Camille Martin')
    // Every carer action is logged as such, in Camille's history.
    const rows = await t
      .db('activity_log')
      .where({ subject_person_id: camilleId, actor_role: 'carer', actor_name: 'Paul Aidantmessagerie' })
      .pluck('action')
    expect(rows).toEqual(expect.arrayContaining(['message.list', 'message.read', 'message.send']))

    // The delegation ends: the next request no longer reaches Camille's messages.
    await t.db('carers').where({ id: delegation }).update({ ends_on: '2026-01-02' })
    expect((await p.get(`/messagerie/${convId}`)).status).toBe(404)
    const after = await postMultipart(p, '/messagerie', `/messagerie/${convId}/repondre`, { body: 'Encore moi.' })
    expect(after.status).toBe(404)
    expect(Number((await t.db('messages').where({ conversation_id: convId, author_side: 'carer' }).count('* as n').first())!.n)).toBe(1)
  })
})
