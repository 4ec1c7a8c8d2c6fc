#!/usr/bin/env node
// Crawls the running site as each demo account, JavaScript off, at 360x640 (and 320 wide), and reports
// every problem an acceptance run would see: axe-core (WCAG 2.2 AA), html-validate (the tests' config),
// one h1 visible in the first 640 px, no horizontal scroll at 320 px, and each form submitted empty once
// (it must answer with an error summary). Development tool, not part of `npm test`.
//   node scripts/crawl.mjs [base URL] [account…]      (default http://localhost:3000, every account)
// Env: CRAWL_MAX (pages per account, 400), CRAWL_PER_KIND (pages of one kind, /documents/:id, 2), CRAWL_FORMS=0 (skip empty submissions), CHROMIUM_PATH.
import { chromium } from 'playwright-core'
import AxeBuilder from '@axe-core/playwright'
import { HtmlValidate } from 'html-validate'

const BASE = (process.argv[2] && /^https?:/.test(process.argv[2]) ? process.argv[2] : 'http://localhost:3000').replace(/\/$/, '')
const ONLY = process.argv.slice(2).filter((a) => !/^https?:/.test(a))
const MAX = Number(process.env.CRAWL_MAX ?? 400)
const FORMS = process.env.CRAWL_FORMS !== '0'
const PER_KIND = Number(process.env.CRAWL_PER_KIND ?? 2)

const ACCOUNTS = [
  { name: 'public' },
  {
    name: 'camille',
    email: 'camille.martin@courriel.example',
    url: '/connexion',
    login: 'camille.martin',
    password: 'Tulipe-Verte-Montagne-42',
  },
  {
    name: 'helene',
    email: 'helene.faure@courriel.example',
    url: '/connexion',
    login: 'helene.faure',
    password: 'Lavande-Douce-Riviere-47',
  },
  {
    name: 'bernard',
    email: 'sophie.bernard@courriel.example',
    url: '/pro/connexion',
    login: '10100012342',
    password: 'Stethoscope-Bleu-2026',
  },
  {
    name: 'haddad',
    email: 'karim.haddad@courriel.example',
    url: '/pro/connexion',
    login: '10100023455',
    password: 'Coeur-Rythme-Sinus-77',
  },
  {
    name: 'moreau',
    email: 'julie.moreau@courriel.example',
    url: '/pro/connexion',
    login: '10100034569',
    password: 'Officine-Verte-Pilule-5',
  },
  { name: 'petit', email: 'marc.petit@courriel.example', url: '/pro/connexion', login: '10100045672', password: 'Rayons-Doux-Image-31' },
  {
    name: 'lemaire',
    email: 'hugo.lemaire@courriel.example',
    url: '/pro/connexion',
    login: '10100090017',
    password: 'Regulation-Appel-Quinze-15',
  },
  {
    name: 'nadia',
    email: 'nadia.roux@courriel.example',
    url: '/france-services/connexion',
    login: 'nadia.roux',
    password: 'Guichet-Accueil-Aide-93',
  },
  {
    name: 'louis',
    email: 'louis.garnier@courriel.example',
    url: '/back-office/connexion',
    login: 'louis.garnier',
    password: 'Caisse-Registre-Lot-75',
  },
].filter((a) => !ONLY.length || ONLY.includes(a.name))

// Links never followed: sign-out, downloads, development pages, and GET actions that change things.
const SKIP = [
  /deconnexion|se-deconnecter|logout/i,
  /\.(pdf|zip|csv|json|xml|png|jpe?g|svg|ico|css|js|woff2?)(\?|$)/i,
  /\/(telecharger|download|export\/|fichier|apercu|contenu)/i,
  /^\/dev\//,
  /^\/(fhir|oauth|oidc|\.well-known|api)\b/,
  /^\/assets\//,
]

const validator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  rules: {
    'no-inline-style': 'off',
    'prefer-native-element': 'off',
    'no-redundant-role': 'off',
    'attribute-boolean-style': 'off',
    'attribute-empty-style': 'off',
    'void-style': 'off',
    'no-trailing-whitespace': 'off',
    'long-title': 'off',
    'prefer-button': 'off',
    'require-sri': 'off',
    'no-implicit-button-type': 'off',
    'text-content': 'off',
  },
})

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
})
// axe-core needs JavaScript: the page's HTML (scripts removed) is analysed in a page that has it on.
const axeCtx = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 360, height: 640 } })
const axePage = await axeCtx.newPage()
await axePage.goto(BASE + '/health').catch(() => undefined)

const allProblems = []
const summary = []

function norm(href, from) {
  try {
    const u = new URL(href, from)
    if (u.origin !== BASE && u.origin !== new URL(BASE).origin) return null
    u.hash = ''
    return u.pathname + u.search
  } catch {
    return null
  }
}

/** Collapses ids so /documents/123 and /documents/456 count as one page kind (for the report only). */
const kindOf = (p) => p.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d+/gi, ':id')

async function readCode(ctx, email) {
  const p = await ctx.newPage()
  await p.goto(BASE + '/dev/outbox?destinataire=' + encodeURIComponent(email))
  const bodies = await p.locator('pre').allTextContents()
  await p.close()
  for (const b of bodies) {
    const m = b.match(/\b(\d{6})\b/)
    if (m) return m[1]
  }
  throw new Error('aucun code dans /dev/outbox')
}

async function signIn(page, account) {
  await page.goto(BASE + account.url)
  await page.locator('input[name=login]').fill(account.login)
  await page.getByLabel('Mot de passe', { exact: true }).fill(account.password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await page.getByLabel('Code de connexion').fill(await readCode(page.context(), account.email))
  await page.getByRole('button', { name: 'Valider' }).click()
  await page.waitForLoadState()
}

async function checkPage(page, html, label, problems, status) {
  const add = (m) => problems.push(`${label} : ${m}`)
  if (process.env.CRAWL_VERBOSE) console.log(`  · ${label}`)
  if (status >= 500) add(`statut ${status}`)
  const report = await validator.validateString(html)
  for (const r of report.results) for (const m of r.messages) add(`HTML ${m.ruleId} (ligne ${m.line}) : ${m.message}`)
  const rendered = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
  await axePage.setViewportSize({ width: 360, height: 640 })
  await axePage.setContent(rendered, { waitUntil: 'load' })
  const results = await new AxeBuilder({ page: axePage })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .options({ resultTypes: ['violations'] })
    .analyze()
  for (const v of results.violations) {
    add(
      `axe ${v.id} — ${v.help} (${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(' | ')})`,
    )
  }
  const h1 = page.locator('h1')
  const n = await h1.count()
  if (n !== 1) add(`${n} titres h1 au lieu de 1`)
  else {
    const box = await h1.boundingBox()
    if (!box) add('h1 invisible')
    else if (box.y + box.height > 640) add(`h1 hors du premier écran (bas à ${Math.round(box.y + box.height)} px)`)
    if (box && box.x + box.width > 360 + 1) add(`h1 dépasse à droite (${Math.round(box.x + box.width)} px)`)
  }
  // 320 CSS px: no horizontal scroll (measured in the JavaScript page, same HTML and styles).
  await axePage.setViewportSize({ width: 320, height: 640 })
  // Run in the page: the browser's globals.
  const over = await axePage.evaluate(() => {
    /* global document, getComputedStyle */
    const w = document.documentElement.clientWidth
    if (document.documentElement.scrollWidth <= w + 1) return null
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > w + 1 && getComputedStyle(e).position !== 'fixed')
      .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > w + 1))
      .concat(
        // Text wider than its box (a long word) does not widen the box: the box scrolls.
        [...document.querySelectorAll('body *')].filter(
          (e) => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && getComputedStyle(e).overflowX === 'visible',
        ),
      )
      .slice(0, 3)
      .map(
        (e) =>
          e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : ''),
      )
    return `${document.documentElement.scrollWidth} px : ${wide.join(' | ')}`
  })
  if (over) add(`défilement horizontal à 320 px (${over})`)
}

async function crawl(account) {
  const ctx = await browser.newContext({
    javaScriptEnabled: false,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    viewport: { width: 360, height: 640 },
  })
  const page = await ctx.newPage()
  // Problems are printed as they come (a long crawl can be read while it runs).
  const problems = []
  const push = problems.push.bind(problems)
  problems.push = (...ps) => {
    for (const p of ps) console.log(`  [${account.name}] ${p}`)
    return push(...ps)
  }
  const seen = new Set()
  const queue = []
  const formsTried = new Set()
  const kinds = new Map()
  let states = 0
  let forms = 0
  const t0 = Date.now()
  if (account.url) {
    try {
      await signIn(page, account)
    } catch (e) {
      problems.push(`connexion impossible : ${e.message}`)
    }
  } else {
    await page.goto(BASE + '/')
  }
  const start = norm(page.url(), BASE)
  queue.push(start, '/')
  while (queue.length && states < MAX) {
    const path = queue.shift()
    if (seen.has(path)) continue
    seen.add(path)
    if (SKIP.some((r) => r.test(path))) continue
    // Pages of one kind (/documents/:id) are alike: a few of each are enough.
    const kind = kindOf(path)
    if ((kinds.get(kind) ?? 0) >= PER_KIND) continue
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
    let res
    try {
      res = await page.goto(BASE + path, { timeout: 30000 })
    } catch (e) {
      problems.push(`${path} : ${e.message.split('\n')[0]}`)
      continue
    }
    if (!res) continue
    const type = res.headers()['content-type'] ?? ''
    if (!type.includes('text/html')) continue
    const here = norm(page.url(), BASE)
    if (here !== path) {
      if (seen.has(here)) continue
      seen.add(here)
    }
    if (/deconnexion/.test(here) || (account.url && here === account.url)) {
      problems.push(`${path} : renvoie vers ${here} (session perdue ?)`)
      break
    }
    states++
    const html = await res.text()
    await checkPage(page, html, here, problems, res.status())
    if (res.status() >= 400 && res.status() !== 404) problems.push(`${here} : statut ${res.status()}`)
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    for (const h of hrefs) {
      const p = norm(h, page.url())
      if (p && !seen.has(p)) queue.push(p)
    }
    if (!FORMS) continue
    // Each form, once per kind of page, submitted with its visible fields empty.
    const count = await page.locator('main form').count()
    for (let i = 0; i < count; i++) {
      const info = await page
        .locator('main form')
        .nth(i)
        .evaluate((f) => ({
          method: (f.getAttribute('method') || 'get').toLowerCase(),
          action: f.getAttribute('action') || '',
          fields: [...f.elements].filter(
            (e) =>
              ['text', 'textarea', 'email', 'tel', 'date', 'number', 'password', 'search', 'file', 'radio', 'select-one'].includes(
                e.type,
              ) && e.type !== 'hidden',
          ).length,
          buttons: [...f.querySelectorAll('button, input[type=submit]')].map((b) => (b.textContent || b.value || '').trim()),
        }))
      const key = `${kindOf(here)} ${info.method} ${kindOf(info.action)}`
      if (formsTried.has(key)) continue
      formsTried.add(key)
      if (!info.fields) continue // a button alone does something: not submitted
      if (/deconnexion|supprimer|clore|fermer/i.test(info.action) || info.buttons.some((b) => /supprimer|déconnecter|clore/i.test(b)))
        continue
      if (info.method === 'get') continue
      const form = page.locator('main form').nth(i)
      await form.evaluate((f) => {
        for (const e of f.elements) {
          if (e.type === 'radio' || e.type === 'checkbox') e.checked = false
          else if (e.type === 'select-one') e.selectedIndex = -1
          else if (e.type !== 'hidden' && e.type !== 'submit' && e.tagName !== 'BUTTON') e.value = ''
        }
      })
      const btn = form.locator('button:not([type=button]), input[type=submit]').first()
      let r
      try {
        ;[r] = await Promise.all([page.waitForNavigation({ timeout: 30000 }), btn.click({ timeout: 10000 })])
      } catch (e) {
        problems.push(`${here} formulaire ${info.action} vide : ${e.message.split('\n')[0]}`)
        await page.goto(BASE + here).catch(() => undefined)
        continue
      }
      forms++
      states++
      const label = `${here} → POST ${info.action || here} (vide)`
      if (!r) continue
      const after = norm(page.url(), BASE)
      if (after !== here && after !== norm(info.action || here, BASE + here)) {
        problems.push(`${label} : accepté vide, mène à ${after} (pas de résumé d'erreurs)`)
      } else if (r.status() >= 500) {
        problems.push(`${label} : statut ${r.status()}`)
      } else {
        const html2 = await r.text().catch(() => '')
        if (html2) await checkPage(page, html2, label, problems, r.status())
        if (!(await page.locator('.govuk-error-summary').count())) problems.push(`${label} : pas de résumé d'erreurs`)
        else {
          const t = await page.title()
          if (!/^Erreur/.test(t)) problems.push(`${label} : le titre de la page ne commence pas par « Erreur » (${t})`)
        }
      }
      await page.goto(BASE + here).catch(() => undefined)
    }
  }
  await ctx.close()
  summary.push(
    `${account.name} : ${states} états de page (${forms} formulaires vides, ${kinds.size} sortes de pages), ${problems.length} problèmes, ${Math.round((Date.now() - t0) / 1000)} s`,
  )
  for (const p of problems) allProblems.push(`[${account.name}] ${p}`)
  console.log(summary.at(-1))
}

for (const a of ACCOUNTS) await crawl(a)
await browser.close()
console.log('\n=== Résumé ===')
for (const s of summary) console.log(s)
// Same problem on many pages: count it once.
const grouped = new Map()
for (const p of allProblems) {
  const k = p.replace(/^\[[^\]]+\] \S+/, '').replace(/ligne \d+/, 'ligne n')
  grouped.set(k, (grouped.get(k) ?? 0) + 1)
}
console.log(`\n${allProblems.length} problèmes, ${grouped.size} distincts :`)
for (const [k, n] of [...grouped].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(4)} ×${k}`)
process.exitCode = allProblems.length ? 1 : 0
