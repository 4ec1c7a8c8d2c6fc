import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, NADIA, PROS } from '../helpers/demo'
import { NAVIGATION } from '../../src/navigation'
import { isoDate } from '../../src/domain/parisTime'
import { dateFields } from '../helpers/lifecycle'

const text = (html: string, sel = 'main') => cheerio.load(html)(sel).text().replace(/\s+/g, ' ')
const title = (html: string) => cheerio.load(html)('title').text().trim()

describe('déclarations et petites choses que les gens remarquent (issue 16 §5)', () => {
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

  it('la déclaration d’accessibilité suit le modèle du RGAA : non conforme, échantillon, technologies, défauts connus, courriel, recours, schéma', async () => {
    const r = await agent(t.app).get('/accessibilite')
    expect(r.status).toBe(200)
    const $ = cheerio.load(r.text)
    const main = text(r.text)
    expect($('#etat-de-conformite + p').text()).toContain('non conforme')
    expect(main).not.toContain('partiellement conforme')
    expect(main).toMatch(/établie le \d{1,2} \S+ 20\d\d/)
    expect($('#echantillon li').length).toBeGreaterThanOrEqual(10)
    for (const words of [
      'Technologies utilisées',
      'Environnement de test',
      'Outils pour évaluer',
      'Non-conformités connues',
      'Dérogations',
    ])
      expect(main).toContain(words)
    expect(main).toContain('320 pixels')
    expect($('a[href^="mailto:"]').first().attr('href')).toBe('mailto:accessibilite@monespacesante.fr')
    expect($('a[href="https://formulaire.defenseurdesdroits.fr/"]').text()).toContain('Défenseur des droits')
    expect(main).toContain('Libre réponse 71120')
    const schema = $('a[href="/accessibilite/schema-pluriannuel"]')
    expect(schema.text()).toContain('schéma pluriannuel')
    const schemaPage = await agent(t.app).get('/accessibilite/schema-pluriannuel')
    expect(schemaPage.status).toBe(200)
    expect(text(schemaPage.text, 'h1')).toContain('Schéma pluriannuel de mise en accessibilité')
    // The footer says the same on every page.
    expect(cheerio.load(r.text)('footer a[href="/accessibilite"]').text()).toBe('Accessibilité : non conforme')
  })

  it('le plan du site donne chaque rubrique de chaque rôle et les portes des professionnels, conseillers et agents ; chaque lien répond', async () => {
    const a = agent(t.app)
    const r = await a.get('/plan-du-site')
    const $ = cheerio.load(r.text)
    const hrefs = $('main a')
      .toArray()
      .map((x) => $(x).attr('href')!)
    for (const kind of ['patient', 'professional', 'agent', 'operator'] as const)
      for (const item of NAVIGATION[kind]) expect(hrefs).toContain(item.href)
    for (const door of ['/connexion', '/pro/connexion', '/france-services/connexion', '/back-office/connexion'])
      expect(hrefs).toContain(door)
    expect(
      $('main h2')
        .toArray()
        .map((h) => $(h).text()),
    ).toEqual(
      expect.arrayContaining(['Mon espace', 'Professionnels de santé', 'Conseillers France Services', "Agents de l'Assurance Maladie"]),
    )
    // No dead link: a public page answers, a signed-in one asks to sign in.
    for (const href of new Set(hrefs)) {
      const res = await agent(t.app).get(href)
      expect([href, res.status]).toEqual([href, expect.any(Number)])
      expect([200, 303]).toContain(res.status)
    }
  })

  it('signé, le plan du site ne lie que ce que son rôle peut ouvrir : les pages des autres rôles sont nommées sans lien, leurs portes restent', async () => {
    const pro = agent(t.app)
    await signIn(pro, t.db, 'professional', PROS.bernard.login, PROS.bernard.password)
    for (const [who, kind] of [
      [pro, 'professional'],
      [camille, 'patient'],
    ] as const) {
      const r = await who.get('/plan-du-site')
      expect(r.headers['cache-control']).toBe('no-store')
      const $ = cheerio.load(r.text)
      const hrefs = $('main a')
        .toArray()
        .map((x) => $(x).attr('href')!)
      for (const item of NAVIGATION[kind]) expect(hrefs).toContain(item.href)
      const others = (['patient', 'professional', 'agent', 'operator'] as const).filter((k) => k !== kind)
      for (const other of others)
        for (const item of NAVIGATION[other])
          if (!NAVIGATION[kind].some((i) => i.href === item.href))
            expect({ other, href: item.href, linked: hrefs.includes(item.href) }).toEqual({ other, href: item.href, linked: false })
      expect(text(r.text)).toContain('Mes autorisations')
      for (const door of ['/connexion', '/pro/connexion', '/france-services/connexion', '/back-office/connexion'])
        expect(hrefs).toContain(door)
      // Every link it gives answers (a page, or a redirect), never «Accès refusé».
      for (const href of new Set(hrefs)) {
        if (href === '/deconnexion' || href.startsWith('/pro/deconnexion')) continue
        const res = await who.get(href)
        expect([href, res.status]).toEqual([href, expect.any(Number)])
        expect([href, [200, 303].includes(res.status)]).toEqual([href, true])
      }
    }
  })

  it('autocomplete="bday-*" seulement pour sa propre date de naissance ; « off » pour celle d’un autre', async () => {
    const own = cheerio.load((await agent(t.app).get('/nouveau-code')).text)
    expect(own('#birthDate-day').attr('autocomplete')).toBe('bday-day')
    expect(own('#birthDate-year').attr('autocomplete')).toBe('bday-year')
    // A child, a carer: someone else's.
    for (const url of ['/enfants/ajouter', '/aidants/inviter']) {
      const $ = cheerio.load((await camille.get(url)).text)
      expect([url, $('#birthDate-day').attr('autocomplete')]).toEqual([url, 'off'])
    }
    // A patient (professional), a citizen at the counter (agent).
    const pro = agent(t.app)
    await signIn(pro, t.db, 'professional', PROS.bernard.login, PROS.bernard.password)
    expect(
      cheerio
        .load((await pro.get('/pro/patient')).text)('#birthDate-month')
        .attr('autocomplete'),
    ).toBe('off')
    expect(
      cheerio
        .load((await pro.get('/pro/messagerie/nouveau')).text)('#birthDate-day')
        .attr('autocomplete'),
    ).toBe('off')
    const nadia = agent(t.app)
    await signIn(nadia, t.db, 'agent', NADIA.login, NADIA.password)
    expect(
      cheerio
        .load((await nadia.get('/france-services/accompagner')).text)('#birthDate-day')
        .attr('autocomplete'),
    ).toBe('off')
    const html = (await nadia.get('/france-services/accompagner')).text
    expect(html).not.toContain('bday')
  })

  it('des titres de page uniques : les deux onglets de l’historique, les confirmations de suppression', async () => {
    const mine = title((await camille.get('/historique?onglet=moi')).text)
    const others = title((await camille.get('/historique?onglet=autres')).text)
    expect(mine).toBe("Historique d'activité : mes actions – Mon espace santé")
    expect(others).toBe("Historique d'activité : actions des professionnels et des autres personnes – Mon espace santé")
    // Two measures, two confirmation pages, two titles.
    const today = isoDate(new Date())
    for (const v of ['61', '62'])
      expect((await submitForm(camille, '/profil-medical/mesures/poids', { value: v, ...dateFields(today, 'date') })).status).toBe(303)
    // Camille's two newest (ids are random uuids: the order of creation, not of id).
    const camilleRow = await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()
    const ids = await t
      .db('measures')
      .where({ type: 'poids', person_id: camilleRow.id })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(2)
      .pluck('id')
    const titles = await Promise.all(
      ids.map(async (id) => title((await camille.get(`/profil-medical/mesures/poids/${id}/supprimer`)).text)),
    )
    expect(titles[0]).toMatch(/^Supprimer la mesure « Poids » du .+ \(.*kg\) – Mon espace santé$/)
    expect(titles[0]).not.toBe(titles[1])
    const person = await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()
    const docs = await t.db('documents').where({ person_id: person.id }).orderBy('created_at').limit(2).pluck('id')
    const docTitles = await Promise.all(docs.map(async (id) => title((await camille.get(`/documents/${id}/supprimer`)).text)))
    expect(docTitles[0]).toMatch(/^Supprimer le document « .+ » – Mon espace santé$/)
    expect(new Set([...docTitles, 'Supprimer le document – Mon espace santé']).size).toBe(docTitles.length + 1)
  })
})
