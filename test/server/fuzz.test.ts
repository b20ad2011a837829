// A bounded, seeded fuzz of every endpoint of the service (issue 11): random methods, paths,
// content types, bodies and headers, over real HTTP. Whatever arrives, the answer is never a
// 5xx other than a 503 with Retry-After, no body carries a stack trace, the process stays up,
// and the log holds no token, password or client secret. Reproduce a failure with its seed.
import assert from 'node:assert/strict'
import { request as httpRequest, Agent } from 'node:http'
import { after, before, test } from 'node:test'
import { watchForCrashes } from '../conformance/hostile-http.js'
import { captureLogs } from '../support/log-capture.js'
import {
  ADMIN_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  PASSWORD,
  signUp,
  startService,
  type Service,
  type Tokens,
} from './support.js'

const SEED = Number(process.env.FUZZ_SEED ?? 0x1111)
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2000)

/** mulberry32: a small seeded generator, so every run sends the same requests. */
function random(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
  const chance = (p: number) => next() < p
  return { next, int, pick, chance }
}
type Random = ReturnType<typeof random>

const PATHS = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/jwks.json',
  '/auth/register',
  '/auth/login',
  '/auth/me',
  '/auth/logout',
  '/auth/logout-all',
  '/auth/sessions',
  '/auth/sessions/:id',
  '/auth/reauthenticate',
  '/auth/password',
  '/auth/account',
  '/oauth/token',
  '/oauth/revoke',
  '/oauth/introspect',
  '/admin/users/:sub/revoke',
  '/admin/revoke-all',
  '/admin/keys/rotate',
  '/admin/users/:sub/sessions',
  '/admin/users',
  '/admin/users/:sub',
  '/admin/users/:sub/suspend',
  '/admin/users/:sub/reinstate',
  '/admin/users/:sub/claims',
  '/healthz',
  '/readyz',
  '/metrics',
]
const METHODS = ['GET', 'POST', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS']
const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/octet-stream',
  'application/jsonx',
  ';;;',
  '',
]
// Text that has broken parsers, headers and logs before.
const NASTY = [
  '',
  ' ',
  '\u0000',
  '\u007f',
  '\u0085',
  '\u2028',
  '\ud800',
  '€',
  '😀',
  '"',
  '\\',
  '%',
  '%00',
  '%ff',
  '%E2%80%A8',
  '../',
  '__proto__',
  'constructor',
  'x'.repeat(300),
  'a'.repeat(70_000),
  '{"a":',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
]

/** Percent-encodes any text, lone surrogates included (as U+FFFD), as a browser would. */
function pct(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('')
}

interface Fixtures {
  tokens: Tokens
  sub: string
  username: string
}

function text(r: Random): string {
  if (r.chance(0.3)) return r.pick(NASTY)
  const length = r.int(r.chance(0.1) ? 400 : 24)
  let out = ''
  for (let i = 0; i < length; i += 1) {
    out += r.chance(0.8)
      ? String.fromCharCode(0x20 + r.int(0x5f))
      : String.fromCharCode(r.int(0x10000))
  }
  return out
}

function path(r: Random, f: Fixtures): string {
  let chosen = r
    .pick(PATHS)
    .replace(':id', () =>
      r.pick([f.tokens.refresh_token.split('.')[0] ?? 'x', 'nope', pct(text(r)) || 'x']),
    )
    .replace(':sub', () => r.pick([f.sub, pct(text(r)) || 'x']))
  if (r.chance(0.05)) chosen = `/${pct(text(r))}`
  if (r.chance(0.05)) chosen += '/'
  if (r.chance(0.03)) chosen = chosen.replace(/\//g, '//')
  if (r.chance(0.03)) chosen = chosen.toUpperCase()
  if (r.chance(0.2)) {
    const name = r.pick(['access_token', 'token', 'x', 'client_secret', 'password'])
    const value = r.pick([f.tokens.access_token, f.tokens.refresh_token, CLIENT_SECRET, PASSWORD])
    chosen += `?${name}=${pct(value)}`
    if (r.chance(0.3)) chosen += `&${pct(text(r))}=${pct(text(r))}`
  }
  return chosen
}

/** An unsigned JWT whose header members hold random text: what reaches the header checks. */
function tokenShaped(r: Random): string {
  const header = { alg: r.chance(0.5) ? text(r) : 'ES256', typ: r.pick(['at+jwt', text(r)]) }
  const members = r.chance(0.5) ? { ...header, kid: text(r) } : header
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode(members)}.${encode({ sub: text(r) })}.`
}

function authorization(r: Random, f: Fixtures): string | undefined {
  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
  return r.pick([
    undefined,
    `Bearer ${f.tokens.access_token}`,
    `Bearer ${ADMIN_TOKEN}`,
    basic(CLIENT_ID, CLIENT_SECRET),
    basic(CLIENT_ID, 'wrong'),
    `Bearer ${f.tokens.access_token.slice(0, -3)}abc`,
    `Bearer ${Buffer.from(text(r), 'latin1').toString('base64url')}`,
    `Basic ${Buffer.from(text(r)).toString('base64')}`,
    `Basic ${text(r)}`,
    `Bearer ${text(r)}`,
    `${text(r)}`,
    `Bearer ${tokenShaped(r)}`,
    `Bearer ${tokenShaped(r)}`,
    `Bearer ${tokenShaped(r)}`,
    `Bearer ${tokenShaped(r)}`,
  ])
}

function formOrJsonBody(r: Random, f: Fixtures, contentType: string): string {
  const fields: Record<string, unknown> = {}
  const names = [
    'username',
    'password',
    'client_id',
    'client_secret',
    'grant_type',
    'refresh_token',
    'token',
    'token_type_hint',
    'scope',
    'reason',
    text(r),
  ]
  const count = r.int(5)
  for (let i = 0; i < count; i += 1) {
    const name = r.pick(names)
    fields[name] = r.pick<unknown>([
      text(r),
      f.username,
      PASSWORD,
      CLIENT_ID,
      CLIENT_SECRET,
      'refresh_token',
      'client_credentials',
      'access_token',
      f.tokens.refresh_token,
      f.tokens.access_token,
      r.int(1e9),
      null,
      true,
      [text(r)],
      { nested: text(r) },
    ])
  }
  if (contentType.startsWith('application/json') && r.chance(0.8)) return JSON.stringify(fields)
  const pairs = Object.entries(fields).map(([name, value]) => `${pct(name)}=${pct(String(value))}`)
  if (r.chance(0.1) && pairs.length > 0) pairs.push(pairs[0] as string)
  return pairs.join('&')
}

interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: Buffer | undefined
}

function fuzzRequest(r: Random, f: Fixtures): FuzzRequest {
  const method = r.pick(METHODS)
  const headers: Record<string, string> = {}
  const auth = authorization(r, f)
  if (auth !== undefined) headers.authorization = auth
  const contentType = r.pick(CONTENT_TYPES)
  if (contentType !== '') headers['content-type'] = contentType
  if (r.chance(0.1)) headers.cookie = `${text(r)}=${text(r)}; rvk_refresh=${f.tokens.refresh_token}`
  if (r.chance(0.1)) headers.origin = r.pick(['http://auth.test', 'null', text(r)])
  if (r.chance(0.1)) headers['x-forwarded-for'] = `${text(r)}, 10.0.0.1`
  if (r.chance(0.05)) headers['x-csrf-token'] = text(r)
  if (r.chance(0.05)) headers.accept = text(r)
  let body: Buffer | undefined
  if (method !== 'GET' && method !== 'HEAD' && r.chance(0.85)) {
    body = r.chance(0.15)
      ? Buffer.from(Array.from({ length: r.int(256) }, () => r.int(256)))
      : Buffer.from(formOrJsonBody(r, f, contentType), 'utf8')
    // Node's client frames a DELETE or OPTIONS body with nothing: say how long it is.
    headers['content-length'] = String(body.length)
  }
  // Header values travel as latin1 bytes: the UTF-8 of whatever the generator made, less the
  // controls no client can send (Node refuses them before a byte leaves).
  for (const [name, value] of Object.entries(headers)) {
    headers[name] = Buffer.from(value, 'utf8')
      .toString('latin1')
      .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?')
      .slice(0, 4096)
  }
  // Node answers a request line over 16 KiB itself (431) before the service sees it.
  return { method, path: path(r, f).slice(0, 8192), headers, body }
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(url: URL, agent: Agent, req: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: req.headers,
        agent,
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 5000 ms')))
    outgoing.on('error', reject)
    outgoing.end(req.body)
  })
}

// What a stack trace or an internal path looks like in an answer.
const STACK = /\n\s+at |node:internal|\/src\/|\.ts:\d+|\.js:\d+|Error: /

let service: Service
let fixtures: Fixtures
const logs = captureLogs()

before(async () => {
  service = await startService({ LOG_LEVEL: 'info', ACCESS_LOG: 'true' }, logs.stream)
  const { sub, username, tokens } = await signUp(service)
  fixtures = { sub, username, tokens }
})
after(() => service.close())

test(`${REQUESTS} random requests to every endpoint (seed ${SEED}): no 5xx but a 503 with Retry-After, no stack trace, no crash`, async () => {
  const r = random(SEED)
  const url = new URL(service.url)
  // A connection per request: an answer that ends its connection cannot fail the next request.
  const agent = new Agent({ keepAlive: false })
  const crashes = watchForCrashes()
  const findings: string[] = []
  try {
    for (let i = 0; i < REQUESTS; i += 1) {
      const req = fuzzRequest(r, fixtures)
      const where = `#${i} ${req.method} ${req.path.slice(0, 120)}`
      let answer: Answer
      try {
        answer = await send(url, agent, req)
      } catch (error) {
        findings.push(`${where}: ${(error as Error).message}`)
        continue
      }
      if (answer.status >= 500 && !(answer.status === 503 && answer.headers['retry-after'])) {
        findings.push(`${where}: ${answer.status} ${answer.body.slice(0, 200)}`)
      }
      if (STACK.test(answer.body))
        findings.push(`${where}: stack in body ${answer.body.slice(0, 200)}`)
    }
  } finally {
    agent.destroy()
    crashes.stop()
  }
  assert.deepEqual(crashes.seen, [], 'the service process would have died')
  assert.deepEqual(findings, [])
  assert.equal((await fetch(`${service.url}/healthz`)).status, 200)
})

test('the log of the fuzz run holds no token, password or client secret', () => {
  assert.ok(logs.lines.length > REQUESTS, 'the service did not log its requests')
  const secrets = {
    'access token': fixtures.tokens.access_token,
    'refresh token': fixtures.tokens.refresh_token,
    password: PASSWORD,
    'client secret': CLIENT_SECRET,
    'admin token': ADMIN_TOKEN,
  }
  const leaks = Object.entries(secrets).flatMap(([what, secret]) =>
    logs.linesWith(secret).map((line) => `${what}: ${line.slice(0, 300)}`),
  )
  assert.deepEqual(leaks.slice(0, 5), [])
  assert.deepEqual(
    logs.lines
      .filter((line) => /"stack"/.test(line))
      .map((line) => line.slice(0, 300))
      .slice(0, 5),
    [],
  )
})
