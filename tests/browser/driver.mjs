// A line-protocol driver for headless Chromium (playwright-core and Debian's
// chromium; no browser is ever downloaded). The Go test writes one JSON
// command per line on stdin and reads one JSON reply per line on stdout:
//   {"op":"open","page":"bar","url":"…"}          → {"ok":true}
//   {"op":"fill"|"click"|"press","page","selector","value"?}
//   {"op":"wait","page","selector","timeout"?}     waits until visible
//   {"op":"text","page","selector"}                → {"ok":true,"value":"…"}
//   {"op":"eval","page","js"}                      → {"ok":true,"value":…}
//   {"op":"shot","page","path"}                    full-page PNG
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
    p.on('console', (m) => logs.push(`[${name}] ${m.type()}: ${m.text()}`))
    p.on('pageerror', (e) => logs.push(`[${name}] pageerror: ${e.message}`))
    pages.set(name, p)
  }
  return pages.get(name)
}

const ops = {
  async open(c) { await (await page(c.page)).goto(c.url) },
  async fill(c) { await (await page(c.page)).fill(c.selector, c.value) },
  async click(c) { await (await page(c.page)).click(c.selector, { timeout: c.timeout ?? 5000 }) },
  async press(c) { await (await page(c.page)).keyboard.press(c.value) },
  async wait(c) { await (await page(c.page)).waitForSelector(c.selector, { timeout: c.timeout ?? 5000 }) },
  async text(c) { return (await page(c.page)).textContent(c.selector, { timeout: c.timeout ?? 5000 }) },
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
