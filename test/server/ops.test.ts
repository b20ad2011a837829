import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, test } from 'node:test'
import {
  bearer,
  clientBasic,
  me,
  PASSWORD,
  postForm,
  postJson,
  signUp,
  startService,
  type Service,
} from './support.js'

const lines: string[] = []
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    )
    done()
  },
})

let service: Service
before(async () => {
  service = await startService({ LOG_LEVEL: 'info' }, logStream)
})
after(() => service.close())

function records(): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>)
}

test('GET /healthz answers 200 while the process is up', async () => {
  const response = await fetch(`${service.url}/healthz`)
  assert.equal(response.status, 200)
  assert.deepEqual(await response.json(), { status: 'ok' })
})

test('GET /readyz answers 200 when the store is reachable', async () => {
  const response = await fetch(`${service.url}/readyz`)
  assert.equal(response.status, 200)
  assert.deepEqual(await response.json(), { status: 'ready' })
})

test('GET /metrics counts verifications, revocations, refreshes, reuse and store latency', async () => {
  const { tokens } = await signUp(service)
  await me(service, tokens.access_token)
  await me(service, 'garbage')
  const next = await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
  })
  assert.equal(next.status, 200)
  // The heir is used: the first token is now a true reuse (not a retry of a lost answer).
  await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: ((await next.json()) as { refresh_token: string }).refresh_token,
  })
  await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
  })
  const response = await fetch(`${service.url}/metrics`)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  assert.match(text, /^revocable_verifications_total\{outcome="ok"\} [1-9]/m)
  assert.match(text, /^revocable_verifications_total\{outcome="ERR_TOKEN_MALFORMED"\} 1$/m)
  assert.match(text, /^revocable_refreshes_total [1-9]/m)
  assert.match(text, /^revocable_refresh_reuse_detections_total 1$/m)
  assert.match(text, /^revocable_revocations_total\{kind="session"\} [1-9]/m)
  assert.match(
    text,
    /^revocable_store_latency_seconds_count\{operation="createSession",result="ok"\} [1-9]/m,
  )
  assert.match(text, /^revocable_revocation_lookups\{source="store"\} [1-9]/m)
})

test('every revocation and reuse detection is one structured audit line', async () => {
  const { sub, tokens } = await signUp(service)
  const { sid } = (await (await me(service, tokens.access_token)).json()) as { sid: string }
  await fetch(`${service.url}/auth/logout`, {
    method: 'POST',
    headers: bearer(tokens.access_token),
  })
  const logout = records().filter((r) => r.audit === 'revocation' && r.sid === sid)
  assert.equal(logout.length, 1)
  assert.equal(logout[0]?.kind, 'session')
  assert.equal(logout[0]?.sub, sub)
  assert.equal(logout[0]?.actor, sub)
  assert.equal(logout[0]?.reason, 'logout')

  const second = await signUp(service)
  const heir = await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: second.tokens.refresh_token,
  })
  await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: ((await heir.json()) as { refresh_token: string }).refresh_token,
  })
  await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: second.tokens.refresh_token,
  })
  const reuse = records().filter((r) => r.audit === 'refresh_reuse' && r.sub === second.sub)
  assert.equal(reuse.length, 1)
  assert.equal(reuse[0]?.level, 40)

  await postForm(service, '/oauth/revoke', { token: second.tokens.access_token }, clientBasic())
  const byClient = records().filter(
    (r) => r.audit === 'revocation' && r.kind === 'token' && r.sub === second.sub,
  )
  assert.equal(byClient.length, 1)
  assert.equal(byClient[0]?.actor, 'client:resource-server')
})

test('no password, token or Authorization header ever reaches the log', async () => {
  const { tokens } = await signUp(service)
  await postJson(service, '/auth/login', { username: 'nobody', password: PASSWORD })
  await me(service, tokens.access_token)
  const all = lines.join('\n')
  assert.ok(lines.length > 0)
  assert.ok(!all.includes(PASSWORD))
  assert.ok(!all.includes(tokens.access_token))
  assert.ok(!all.includes(tokens.refresh_token))
  assert.ok(!all.includes('resource-server-secret'))
})
