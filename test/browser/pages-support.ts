/**
 * What the pages' browser tests share: the built service started as `npm start` runs it (its
 * defaults: SQLite, cookie mode off), headless Debian Chromium through playwright-core, axe-core
 * run in the page, console watching for CSP reports, and screenshots into .tmp/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { ROOT, assertBuilt } from '../examples/process.js'
import { freePort } from '../server/support.js'
import { spawnService } from '../support/service-process.js'

export const CHROMIUM = '/usr/bin/chromium'
// Locally without Chromium the suite is skipped; CI installs it (.ci/run), so there it must run.
export const skip =
  !existsSync(CHROMIUM) && process.env.CI !== 'true'
    ? 'chromium is not installed (apt-get install chromium)'
    : false

export const ADMIN_TOKEN = 'pages-admin-token-0123456789abcdefghij'
export const PASSWORD = 'correct horse battery staple'
export const SCREENSHOTS = join(ROOT, '.tmp/screenshots')

export interface RunningService {
  readonly port: number
  readonly localhost: string
  readonly loopback: string
  stop(): Promise<void>
}

const folders: string[] = []
process.once('exit', () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

/**
 * `node dist/cli/index.js serve` (what npm start runs) on its defaults: an SQLite file, no
 * ISSUER, no ALLOWED_ORIGINS, no COOKIE_MODE; only the port, a data folder and ADMIN_TOKEN.
 */
export async function startService(env: Record<string, string> = {}): Promise<RunningService> {
  assertBuilt()
  const port = await freePort()
  const data = mkdtempSync(join(tmpdir(), 'revocable-pages-'))
  folders.push(data)
  const service = await spawnService({
    entry: 'built',
    port,
    cwd: ROOT,
    env: {
      ISSUER: '',
      ALLOWED_ORIGINS: '',
      COOKIE_MODE: '',
      STORE: `sqlite:${join(data, 'revocable.db')}`,
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      // Cheap hashes: the tests log in many times (the scheme is not what they test).
      SCRYPT_LOG_N: '10',
      PASSWORD_HASH: 'scrypt',
      ...env,
    },
  })
  return {
    port,
    localhost: `http://localhost:${port}`,
    loopback: service.url,
    async stop() {
      // Chromium keeps idle connections open; SIGTERM first (SQLite closes cleanly), then kill.
      await service.stop()
    },
  }
}

/** Headless Chromium here: no sandbox (root in a container), no background networking (offline). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] })
}

/** Console messages and page errors that a CSP violation (or any script error) produces. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = []
  page.on('console', (message) => {
    const text = message.text()
    if (message.type() === 'error' || /Content Security Policy/i.test(text)) {
      problems.push(`${message.type()}: ${text}`)
    }
  })
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  return problems
}

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: number
}

/**
 * axe-core's serious and critical violations on the page as it is now. The script is evaluated
 * through the DevTools protocol, which the page's CSP does not govern (it blocks inline scripts).
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(): Promise<{
            violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }>
          }>
        }
      }
    ).axe
    const result = await axe.run()
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.length,
    }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/** Screenshots of the page at 375 px and 1280 px wide (full page) into .tmp/screenshots/. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const original = page.viewportSize() ?? { width: 1280, height: 800 }
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 800 })
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true })
  }
  await page.setViewportSize(original)
}
