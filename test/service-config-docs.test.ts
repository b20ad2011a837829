/**
 * docs/service.md's configuration tables against the one variable table the service reads its
 * defaults from (src/service/config-variables.ts): names, flags and defaults.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../src/service/config.js'
import { flagName, VARIABLES, type Variable } from '../src/service/config-variables.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const serviceDoc = readFileSync(`${root}docs/service.md`, 'utf8')

interface DocRow {
  readonly name: string
  readonly flag: string | undefined
  readonly default: string
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim())

/** Every row of every markdown table whose header starts with "variable". */
function documentedRows(markdown: string): DocRow[] {
  const rows: DocRow[] = []
  let header: string[] | undefined
  for (const line of markdown.split('\n')) {
    if (!line.trim().startsWith('|')) {
      header = undefined
      continue
    }
    const row = cells(line)
    if (header === undefined) {
      header = row[0] === 'variable' ? row : []
      continue
    }
    if (header.length === 0 || /^-+$/.test(row[0] ?? '')) continue
    const at = (column: string) => row[header!.indexOf(column)]
    const name = /^`([A-Z0-9_*]+)`$/.exec(at('variable') ?? '')?.[1]
    if (name === undefined) continue
    rows.push({
      name,
      flag: header.includes('flag') ? at('flag')?.replace(/`/g, '') : undefined,
      default: at('default') ?? '',
    })
  }
  return rows
}

/** A variable documented in prose: "`NAME` (`--flag`, default `X`)". */
function proseDefault(markdown: string, name: string): DocRow | undefined {
  const match = new RegExp('`' + name + '` \\(`(--[a-z0-9-]+)`, default ([^)]+)\\)').exec(markdown)
  return match === null ? undefined : { name, flag: match[1], default: match[2] as string }
}

function defaultAgrees(variable: Variable, documented: string): boolean {
  const plain = (text: string) => text.replace(/`/g, '').trim()
  if (variable.derived === true) {
    return plain(documented).startsWith(plain(variable.default.split(' (')[0] as string))
  }
  if (variable.default === '') return /^(none|unset)\b/.test(documented)
  return /`([^`]*)`/.exec(documented)?.[1] === variable.default
}

/** Each way the markdown and the table disagree, as a sentence. */
function disagreements(markdown: string, variables: readonly Variable[]): string[] {
  const problems: string[] = []
  const rows = documentedRows(markdown)
  const known = new Map(variables.map((v) => [v.name, v]))
  for (const row of rows) {
    if (row.name.endsWith('*')) continue
    if (!known.has(row.name)) problems.push(`${row.name} is documented but not in the table`)
  }
  for (const variable of variables) {
    const row = rows.find((r) => r.name === variable.name) ?? proseDefault(markdown, variable.name)
    const covered = rows.some(
      (r) => r.name.endsWith('*') && variable.name.startsWith(r.name.slice(0, -1)),
    )
    if (row === undefined) {
      problems.push(`${variable.name} is not documented${covered ? ' (only as a wildcard)' : ''}`)
      continue
    }
    if (row.flag !== undefined && row.flag !== `--${flagName(variable.name)}`) {
      problems.push(`${variable.name}: documented flag ${row.flag}`)
    }
    if (!defaultAgrees(variable, row.default)) {
      problems.push(
        `${variable.name}: documented default "${row.default}", table "${variable.default}"`,
      )
    }
  }
  return problems
}

test("docs/service.md's configuration tables agree with the variable table", () => {
  assert.deepEqual(disagreements(serviceDoc, VARIABLES), [])
})

test('a documented default that differs from the table is caught', () => {
  const doctored = serviceDoc.replace(/(\| `SESSION_CAP` +\| `--session-cap` +\| )`100`/, '$1`50` ')
  assert.notEqual(doctored, serviceDoc, 'the SESSION_CAP row was found')
  assert.deepEqual(disagreements(doctored, VARIABLES), [
    'SESSION_CAP: documented default "`50`", table "100"',
  ])
})

test('a variable missing from the docs, or documented but unknown, is caught', () => {
  const extra: Variable = { name: 'NEW_SETTING', default: '1', description: 'new' }
  assert.deepEqual(disagreements(serviceDoc, [...VARIABLES, extra]), [
    'NEW_SETTING is not documented',
  ])
  const without = VARIABLES.filter((v) => v.name !== 'BODY_LIMIT')
  assert.deepEqual(disagreements(serviceDoc, without), [
    'BODY_LIMIT is documented but not in the table',
  ])
})

test('loadConfig with nothing set takes every literal default from the table', () => {
  const config = loadConfig({}, {}) as unknown as Record<string, unknown>
  const expected: Record<string, string> = {
    port: 'PORT',
    host: 'HOST',
    redisPrefix: 'REDIS_PREFIX',
    accessTokenTtl: 'ACCESS_TOKEN_TTL',
    sessionIdleTtl: 'SESSION_IDLE_TTL',
    sessionMaxAge: 'SESSION_MAX_AGE',
    sessionCap: 'SESSION_CAP',
    reuseGrace: 'REUSE_GRACE',
    refreshRetryWindow: 'REFRESH_RETRY_WINDOW',
    failMode: 'FAIL_MODE',
    cookieMode: 'COOKIE_MODE',
    loginRateLimit: 'LOGIN_RATE_LIMIT',
    bodyLimit: 'BODY_LIMIT',
    logLevel: 'LOG_LEVEL',
    accessLog: 'ACCESS_LOG',
    trustProxy: 'TRUST_PROXY',
    scryptLogN: 'SCRYPT_LOG_N',
    passwordHash: 'PASSWORD_HASH',
    signingAlg: 'SIGNING_ALG',
    allowPlaintextKeys: 'ALLOW_PLAINTEXT_KEYS',
    keyPublishLead: 'KEY_PUBLISH_LEAD',
    keyRotationInterval: 'KEY_ROTATION_INTERVAL',
  }
  for (const [field, name] of Object.entries(expected)) {
    const text = VARIABLES.find((v) => v.name === name)?.default
    assert.equal(String(config[field]), text, `${field} (${name})`)
  }
  assert.deepEqual(config.store, { kind: 'sqlite', path: './data/revocable.db' })
})
