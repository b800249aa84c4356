// A line-protocol driver for headless Chromium (playwright-core and Debian's
// chromium; no browser is ever downloaded). The Go test writes one JSON
// command per line on stdin and reads one JSON reply per line on stdout:
//   {"op":"open","page":"bar","url":"…"}          → {"ok":true}
//   {"op":"fill"|"click"|"press","page","selector","value"?}
//   {"op":"wait","page","selector","timeout"?}     waits until visible
//   {"op":"text","page","selector"}                → {"ok":true,"value":"…"}
//   {"op":"eval","page","js"}                      → {"ok":true,"value":…}
//   {"op":"shot","page","path"}                    full-page PNG
// fill, click, wait and text take "frame": a selector of an iframe to act in.
// Errors come back as {"ok":false,"error":"…"}; the driver keeps going.
import { createRequire } from 'node:module'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import readline from 'node:readline'

const require = createRequire(join(process.env.UI_DIR, 'package.json'))
const { chromium } = require('playwright-core')

const ctx = await chromium.launchPersistentContext(mkdtempSync(join(process.env.PROFILE_DIR || tmpdir(), 'chromium-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  viewport: { width: Number(process.env.WIDTH || 1366), height: Number(process.env.HEIGHT || 768) },
  locale: 'zh-CN',
  permissions: ['microphone'],
})
const pages = new Map()
const logs = []

async function page(name) {
  if (!pages.has(name)) {
    const p = await ctx.newPage()
    const note = (line) => {
      logs.push(line)
      if (process.env.DRIVER_DEBUG) process.stderr.write(line + '\n')
    }
    p.on('console', (m) => note(`[${name}] ${m.type()}: ${m.text()}`))
    p.on('pageerror', (e) => note(`[${name}] pageerror: ${e.message}`))
    p.on('requestfailed', (r) => note(`[${name}] request failed: ${r.url()} ${r.failure()?.errorText}`))
    pages.set(name, p)
  }
  return pages.get(name)
}

// loc is the element a command acts on, inside an iframe when c.frame
// names one.
async function loc(c) {
  const p = await page(c.page)
  return c.frame ? p.frameLocator(c.frame).locator(c.selector).first() : p.locator(c.selector).first()
}

const ops = {
  async open(c) { await (await page(c.page)).goto(c.url) },
  async fill(c) { await (await loc(c)).fill(c.value, { timeout: c.timeout ?? 5000 }) },
  async click(c) { await (await loc(c)).click({ timeout: c.timeout ?? 5000 }) },
  async press(c) { await (await page(c.page)).keyboard.press(c.value) },
  async type(c) { await (await page(c.page)).keyboard.type(c.value) },
  async wait(c) { await (await loc(c)).waitFor({ state: 'visible', timeout: c.timeout ?? 5000 }) },
  async text(c) { return (await loc(c)).textContent({ timeout: c.timeout ?? 5000 }) },
  async eval(c) { return (await page(c.page)).evaluate(c.js) },
  async shot(c) { await (await page(c.page)).screenshot({ path: c.path, fullPage: true }) },
  async logs() { return logs.splice(0) },
}

const rl = readline.createInterface({ input: process.stdin })
for await (const line of rl) {
  let reply
  try {
    const c = JSON.parse(line)
    if (c.op === 'quit') break
    const value = await ops[c.op](c)
    reply = { ok: true, value: value ?? null }
  } catch (e) {
    reply = { ok: false, error: String(e && e.message ? e.message : e).split('\n').slice(0, 6).join('\n') }
  }
  process.stdout.write(JSON.stringify(reply) + '\n')
}
await ctx.close()
