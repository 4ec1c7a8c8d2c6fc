import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Download, type Page, type Response } from 'playwright-core'
import AxeBuilder from '@axe-core/playwright'
import type axeCore from 'axe-core'
import { createTestApp, type TestApp, type TestAppOptions } from './testApp'
import { HtmlValidate } from 'html-validate'
import type { Knex } from 'knex'
import { lastMessage, otpIn } from './http'
import { askBroker } from './brokerClient'
import { chromiumLaunchOptions } from './runBroker'
import { RUN_ENV } from './env'
import { cachedCheck, hashOf, stableHtml } from './checkCache'
import { AXE_SCRIPT_PATH, axeSource } from './axeScript'

/**
 * The run's Chromium (one for the whole run, started by globalSetup's broker on first use), or a
 * Chromium of its own when no broker runs (a script outside jest). Closing it ends this file's
 * connection and contexts, not the browser of the other files.
 */
export async function launchBrowser(): Promise<Browser> {
  const endpoint = await askBroker('browser')
  return endpoint ? chromium.connect(endpoint) : chromium.launch(chromiumLaunchOptions())
}

export async function newContext(browser: Browser, javaScriptEnabled: boolean): Promise<BrowserContext> {
  return browser.newContext({ javaScriptEnabled, locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1024, height: 900 } })
}

const validator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  rules: {
    // govuk-frontend's own markup choices
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

/** Validates a whole HTML document; returns the messages (empty when valid). Same document, same answer: kept (checkCache). */
export async function validateHtml(html: string): Promise<string[]> {
  return cachedCheck('html', hashOf(stableHtml(html)), async () => {
    const report = await validator.validateString(html)
    return report.results.flatMap((r) => r.messages.map((m) => `${m.ruleId} (ligne ${m.line}) : ${m.message}`))
  })
}

interface AxeViolation {
  id: string
  help: string
  targets: string[]
}

/**
 * axe-core in the page being checked, once per document: loaded from the page's own origin
 * (axeScript.ts), or, on a server that does not give it (another process's), its source sent
 * through the relay.
 */
async function installAxe(page: Page): Promise<void> {
  const loaded = await page.evaluate((src) => {
    const present = () => typeof (window as unknown as { axe?: { run?: unknown } }).axe?.run === 'function'
    if (present()) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const script = document.createElement('script')
      script.src = src
      // Removed once run (axe-core stays on window): the document checked is the page's own.
      script.onload = script.onerror = () => {
        script.remove()
        resolve(present())
      }
      document.head.append(script)
    })
  }, AXE_SCRIPT_PATH)
  if (!loaded) await page.evaluate(`${axeSource().toString()}\n;undefined`)
}

/** What a check reports of axe-core's violations: the rule, its help, and its first three elements. */
function reported(violations: { id: string; help: string; nodes: { target: readonly unknown[] }[] }[]): AxeViolation[] {
  return violations.map((v) => ({ id: v.id, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
}

/** The rules checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

async function runAxe(target: Page): Promise<AxeViolation[]> {
  if (target.frames().length > 1) {
    // A page with a frame (a PDF preview): AxeBuilder's frame-by-frame mode (runPartial in each frame,
    // then finishRun in a new page), which reaches into every frame and injects axe-core in each.
    const results = await new AxeBuilder({ page: target })
      .withTags(AXE_TAGS)
      .options({ resultTypes: ['violations'] })
      .analyze()
    return reported(results.violations)
  }
  // Without frames: axe.run() in the page itself, the same rules on the same document, in one call
  // that answers only the violations' rule, help and elements. AxeBuilder's legacy mode ran the same axe.run, after five
  // more calls, and sent the whole result back (every rule, passed or not applicable included) through
  // the run's relay: about 40 % more per check.
  await installAxe(target)
  const violations = await target.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: typeof axeCore }).axe
    const results = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return results.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }))
  }, AXE_TAGS)
  return reported(violations)
}

/**
 * What the page shows beyond its HTML, for the key of a cached axe answer (JavaScript on, where axe
 * reads the live page): the viewport and scroll, the focused and hovered elements, the URL's
 * fragment, and what the form controls hold (hidden fields aside).
 */
function liveState(page: Page): Promise<string> {
  return page.evaluate(() => {
    const pathOf = (el: Element | null) => {
      const steps: number[] = []
      for (let e = el; e?.parentElement; e = e.parentElement) steps.unshift(Array.prototype.indexOf.call(e.parentElement.children, e))
      return steps.join('.')
    }
    const controls = Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((e) => (e as HTMLInputElement).type !== 'hidden')
      .map((e) => {
        const c = e as HTMLInputElement
        return c.type === 'checkbox' || c.type === 'radio' ? String(c.checked) : c.value
      })
    return JSON.stringify({
      size: [window.innerWidth, window.innerHeight, window.devicePixelRatio, window.scrollX, window.scrollY],
      hash: location.hash,
      focus: pathOf(document.activeElement),
      hover: Array.from(document.querySelectorAll(':hover')).map(pathOf),
      controls,
    })
  })
}

/**
 * axe-core needs JavaScript: with JavaScript off, the page's rendered HTML (scripts removed) is
 * analysed in a second page, of the same origin, that has it on. One such page per browser
 * connection (a test file), kept from one check to the next: a new context and page cost Chromium
 * about half a second of CPU (a renderer process), more than the analysis; each check replaces its
 * document (setContent) and gives it the watched page's viewport. Closed with the connection.
 */
const helpers = new WeakMap<Browser, { page: Promise<Page>; busy: Promise<unknown> }>()
/** Runs `use` on the connection's helper page, one check at a time (two watched pages may check at once). */
function withHelper<T>(page: Page, use: (helper: Page) => Promise<T>): Promise<T> {
  const browser = page.context().browser()!
  let helper = helpers.get(browser)
  if (!helper) {
    const opened = browser.newContext({ javaScriptEnabled: true, bypassCSP: true }).then((ctx) => ctx.newPage())
    helper = { page: opened, busy: Promise.resolve() }
    helpers.set(browser, helper)
    opened.catch(() => helpers.delete(browser))
  }
  const run = helper.busy.then(async () => use(await helper.page))
  helper.busy = run.catch(() => undefined)
  return run
}

/**
 * Watches a page: every HTML document it receives is validated, and `check()` runs axe-core
 * (WCAG 2.0/2.1/2.2 A and AA) on the current state. Problems are collected, not thrown, so a
 * test can report them all at once with `expect(problems).toEqual([])`. An axe answer is kept by a
 * hash of all it reads (checkCache): the same page in the same state is analysed once per run.
 */
export function watch(page: Page, opts: { javaScript: boolean }) {
  const axeInHelper = (html: string) =>
    withHelper(page, async (helper) => {
      const size = page.viewportSize()
      if (size && JSON.stringify(helper.viewportSize()) !== JSON.stringify(size)) await helper.setViewportSize(size)
      // The page's origin, for its stylesheets and images (a file may run a second app on another port).
      const origin = new URL(page.url()).origin
      if (new URL(helper.url()).origin !== origin) await helper.goto(new URL('/health', origin).toString())
      await helper.setContent(html, { waitUntil: 'load' })
      return runAxe(helper)
    })
  async function axeViolations(): Promise<AxeViolation[]> {
    const html = await page.content()
    if (opts.javaScript) {
      return cachedCheck('axe', hashOf('js', stableHtml(html), await liveState(page)), () => runAxe(page))
    }
    const withoutScripts = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
    const key = hashOf('no-js', stableHtml(withoutScripts), JSON.stringify(page.viewportSize()))
    return cachedCheck('axe', key, () => axeInHelper(withoutScripts))
  }
  const problems: string[] = []
  const pending: Promise<void>[] = []
  page.on('response', (response: Response) => {
    const req = response.request()
    if (req.resourceType() !== 'document') return
    // Our pages only: not the browser's own PDF viewer inside a preview frame (chrome-extension:).
    if (!/^https?:/.test(response.url())) return
    const type = response.headers()['content-type'] ?? ''
    if (!type.includes('text/html') || response.status() === 303) return
    pending.push(
      response
        .text()
        .then(async (html) => {
          const messages = await validateHtml(html)
          for (const m of messages) problems.push(`HTML ${new URL(response.url()).pathname} : ${m}`)
        })
        .catch(() => undefined),
    )
  })
  return {
    problems,
    async check(label?: string) {
      for (const v of await axeViolations()) {
        problems.push(`axe ${label ?? new URL(page.url()).pathname} : ${v.id} — ${v.help} (${v.targets.join(' | ')})`)
      }
      const h1 = await page.locator('h1').count()
      if (h1 !== 1) problems.push(`${label ?? page.url()} : ${h1} titres h1 au lieu de 1`)
    },
    async settle() {
      await Promise.all(pending)
    },
  }
}

/**
 * Screenshots for a person to look at (tests/e2e/screenshots, git-ignored): only when asked for
 * (`SCREENSHOTS=1 npx jest tests/e2e/...`); `npm test` writes none.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.SCREENSHOTS) return
  const dir = path.resolve(__dirname, '../e2e/screenshots')
  fs.mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true })
}

/** A download's file on this machine (the run's Chromium may be another process's: `download.path()` is not available). */
export async function savedDownload(download: Download): Promise<string> {
  const dir = fs.mkdtempSync(path.join(process.env[RUN_ENV.dir] ?? os.tmpdir(), 'telechargement-'))
  const file = path.join(dir, download.suggestedFilename())
  await download.saveAs(file)
  return file
}

/** Fills a govuk date input (Jour, Mois, Année) found by its fieldset legend. */
export async function fillDate(page: Page, iso: string, legend: string | RegExp = 'Date de naissance'): Promise<void> {
  const [y, m, d] = iso.split('-')
  const group = page.getByRole('group', { name: legend })
  await group.getByLabel('Jour').fill(String(Number(d)))
  await group.getByLabel('Mois').fill(String(Number(m)))
  await group.getByLabel('Année').fill(y)
}

export type Watcher = ReturnType<typeof watch>

/**
 * One browser session of a journey: a fresh context (JavaScript on or off) whose every page is
 * checked by `watch` (axe-core + html-validate); at the end, no problem may remain (`ignore` drops
 * those that belong to another feature's page).
 */
export async function browserSession(
  browser: Browser,
  javaScript: boolean,
  run: (page: Page, w: Watcher) => Promise<void>,
  ignore?: (problem: string) => boolean,
): Promise<void> {
  const context = await newContext(browser, javaScript)
  const page = await context.newPage()
  const w = watch(page, { javaScript })
  try {
    await run(page, w)
  } finally {
    await w.settle()
    await context.close()
  }
  expect(w.problems.filter((p) => !ignore?.(p))).toEqual([])
}

/** Signs a demo account in through the pages: identifier and password, then the code read from the outbox. */
export async function signInThroughPages(
  page: Page,
  db: Knex,
  account: { url: string; loginLabel?: string; login: string; password: string; email: string },
): Promise<void> {
  await page.goto(account.url)
  await page.getByLabel(account.loginLabel ?? 'Identifiant').fill(account.login)
  await page.getByLabel('Mot de passe', { exact: true }).fill(account.password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(db, account.email, 'otp')).body))
  await page.getByRole('button', { name: 'Valider' }).click()
}

/**
 * The usual frame of an end-to-end file: the real app on a free port (its own database) and the
 * run's Chromium (`launchBrowser`), connected before the tests and let go after. `set` receives them
 * for the file's variables.
 */
export function withAppAndBrowser(set: (s: { t: TestApp; base: string; browser: Browser }) => void, options: TestAppOptions = {}): void {
  let t: TestApp | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    t = await createTestApp(options)
    const base = await t.listen()
    browser = await launchBrowser()
    set({ t, base, browser })
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })
}
