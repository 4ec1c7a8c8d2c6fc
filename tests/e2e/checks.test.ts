import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { launchBrowser, newContext, watch } from '../helpers/browser'
import { withAxeScript } from '../helpers/axeScript'

/**
 * The page checks themselves (tests/helpers/browser.ts): every journey's «no problem» means something
 * only if they find a problem that is there. A page made wrong on purpose, served beside the
 * app's (its own origin, axe-core given the same way), is checked as a journey's page is.
 */
const WRONG_PAGE = `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Page fautive</title></head>
<body>
<main>
<h1>Premier titre</h1>
<h1>Second titre</h1>
<p style="color: #bbbbbb; background: #ffffff">Un texte presque blanc sur fond blanc.</p>
<form method="post" action="/envoyer"><input type="text" name="nom"><button>Envoyer</button></form>
<p id="double">Un</p><p id="double">Deux</p>
</main>
</body>
</html>`

describe.each([
  ['sans JavaScript', false],
  ['avec JavaScript', true],
])('les contrôles des pages %s', (_label, js) => {
  let server: http.Server
  let base: string
  let browser: Browser
  beforeAll(async () => {
    server = http.createServer(
      withAxeScript((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(WRONG_PAGE)
      }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('trouvent le contraste, le champ sans étiquette, le HTML invalide et les deux h1', async () => {
    const context = await newContext(browser, js)
    const page = await context.newPage()
    const w = watch(page, { javaScript: js })
    await page.goto(`${base}/page-fautive`)
    await w.check('page fautive')
    await w.settle()
    if (js) {
      // axe-core was loaded into the page for the check, and its script element removed: the page's
      // own document is what the next check reads.
      expect(await page.evaluate("typeof window.axe?.run === 'function'")).toBe(true)
      expect(await page.locator('script').count()).toBe(0)
    }
    await context.close()
    const problems = w.problems.join('\n')
    expect(problems).toMatch(/^axe page fautive : color-contrast /m)
    expect(problems).toMatch(/^axe page fautive : label /m)
    expect(problems).toMatch(/^HTML \/page-fautive : no-dup-id /m)
    expect(problems).toMatch(/^page fautive : 2 titres h1 au lieu de 1$/m)
  })
})
