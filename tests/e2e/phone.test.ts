import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { newContext, screenshot, signInThroughPages, withAppAndBrowser } from '../helpers/browser'
import { CAMILLE, HELENE, LOUIS, NADIA, PROS } from '../helpers/demo'

jest.setTimeout(600_000)

const PHONE = { width: 360, height: 640 }
const NARROW = { width: 320, height: 640 }

/** Links that are not pages (downloads, previews, the outbox) or that end the session. */
const NOT_A_PAGE = /telecharger|apercu|\.ics\b|\.csv\b|\.pdf\b|\.zip\b|\/dev\/|deconnexion|calendrier\.ics|\/fichier\b|\/export\/archive/

interface Measure {
  url: string
  scrollWidth: number
  h1Bottom: number | null
  headerBottom: number
}

describe('téléphone : le premier écran montre la page, rien ne défile de côté', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  async function measure(page: Page): Promise<Measure> {
    await page.setViewportSize(NARROW)
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth)
    await page.setViewportSize(PHONE)
    await page.evaluate(() => window.scrollTo(0, 0))
    const { h1Bottom, headerBottom } = await page.evaluate(() => {
      const h1 = document.querySelector('h1')
      const header = document.querySelector('header.govuk-template__header')
      return {
        h1Bottom: h1 ? h1.getBoundingClientRect().bottom : null,
        headerBottom: header ? header.getBoundingClientRect().bottom : 0,
      }
    })
    return { url: new URL(page.url()).pathname + new URL(page.url()).search, scrollWidth, h1Bottom, headerBottom }
  }

  /** A bounded crawl of the same-site links: at most two pages per URL shape. */
  async function crawl(page: Page, starts: string[], maxPages = 80): Promise<Measure[]> {
    const seen = new Set<string>()
    const shapes = new Map<string, number>()
    const queue = [...starts]
    const out: Measure[] = []
    const shapeOf = (u: string) => u.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':uuid').replace(/\/\d+(?=\/|$)/g, '/:n').replace(/\?.*$/, '?')
    while (queue.length && out.length < maxPages) {
      const url = queue.shift()!
      if (seen.has(url)) continue
      seen.add(url)
      const shape = shapeOf(url)
      if ((shapes.get(shape) ?? 0) >= 2) continue
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1)
      const res = await page.goto(base + url).catch((err: Error) => {
        if (/Download is starting/.test(err.message)) return null
        throw err
      })
      if (!res || res.status() !== 200 || !/text\/html/.test(res.headers()['content-type'] ?? '')) continue
      out.push(await measure(page))
      const hrefs = await page.evaluate(() => [...document.querySelectorAll('a[href^="/"]')].map((a) => a.getAttribute('href')!))
      for (const h of hrefs) {
        const href = h.split('#')[0]
        if (!href || seen.has(href) || NOT_A_PAGE.test(href)) continue
        if (/^\/(accessibilite|mentions-legales|donnees-personnelles|plan-du-site|aide)\b/.test(href)) continue
        queue.push(href)
      }
    }
    return out
  }

  async function withPage(run: (page: Page, context: BrowserContext) => Promise<void>, javaScript = false) {
    const context = await newContext(browser, javaScript)
    const page = await context.newPage()
    await page.setViewportSize(PHONE)
    try {
      await run(page, context)
    } finally {
      await context.close()
    }
  }

  it('explore', async () => {
    const all: Measure[] = []
    await withPage(async (page) => {
      await signInThroughPages(page, t.db, { url: base + '/connexion', ...CAMILLE })
      all.push(...(await crawl(page, ['/mon-espace'])))
    })
    await withPage(async (page) => {
      await signInThroughPages(page, t.db, { url: base + '/pro/connexion', loginLabel: 'Numéro RPPS', ...PROS.bernard })
      all.push(...(await crawl(page, ['/pro'])))
    })
    await withPage(async (page) => {
      await signInThroughPages(page, t.db, { url: base + '/france-services/connexion', loginLabel: 'Identifiant de conseiller', ...NADIA })
      all.push(...(await crawl(page, ['/france-services'])))
    })
    await withPage(async (page) => {
      await signInThroughPages(page, t.db, { url: base + '/back-office/connexion', loginLabel: "Identifiant d'agent", ...LOUIS })
      all.push(...(await crawl(page, ['/back-office'])))
    })
    await withPage(async (page) => {
      await signInThroughPages(page, t.db, { url: base + '/connexion', ...HELENE })
      await page.goto(base + '/aidants')
      await page.getByRole('button', { name: /Agir pour Camille Martin/ }).click()
      all.push(...(await crawl(page, ['/mon-espace'], 20)))
      await screenshot(page, 'phone-aidant')
    })
    for (const m of all) console.log(`${m.scrollWidth > 320 ? 'WIDE' : '    '} ${m.h1Bottom === null || m.h1Bottom > 640 ? 'LOW' : '   '} ${m.scrollWidth} ${m.h1Bottom} ${m.headerBottom} ${m.url}`)
  })
})
