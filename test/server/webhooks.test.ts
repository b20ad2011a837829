/**
 * Webhook notices (issue 15), against a real HTTP receiver on a local port that checks every
 * Standard Webhooks signature itself (node:crypto, not the service's code): a login, a refresh
 * token reuse, a retry after a failed delivery, a bounded queue, and a request that never waits
 * for the receiver.
 */
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { buildApp } from '../../src/server/app.js'
import { ConfigError } from '../../src/service/config.js'
import {
  parseWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
} from '../../src/service/webhooks/signing.js'
import { WebhookSender } from '../../src/service/webhooks/sender.js'
import {
  ADMIN_TOKEN,
  postForm,
  PASSWORD,
  postJson,
  testConfig,
  uniqueName,
  type Service,
} from './support.js'

const KEY = randomBytes(32)
const SECRET = `whsec_${KEY.toString('base64')}`

interface Delivery {
  id: string
  timestamp: number
  signatureValid: boolean
  body: { type: string; timestamp: string; data: Record<string, unknown> }
  raw: string
}

/** A receiver: `answer` decides each attempt's status (or holds it open: 'hang'). */
class Receiver {
  readonly deliveries: Delivery[] = []
  readonly attempts: Delivery[] = []
  answer: (attempt: Delivery) => number | 'hang' = () => 204
  readonly #held: ServerResponse[] = []
  readonly #waiters: Array<() => void> = []
  #server: Server | undefined
  url = ''

  async start(): Promise<void> {
    this.#server = createServer((request, response) => void this.#handle(request, response))
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve))
    const address = this.#server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    this.url = `http://127.0.0.1:${address.port}/hooks`
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const id = String(request.headers['webhook-id'])
    const timestamp = Number(request.headers['webhook-timestamp'])
    // The receiver's own check, straight from the specification.
    const expected = createHmac('sha256', KEY).update(`${id}.${timestamp}.${raw}`).digest('base64')
    const signatures = String(request.headers['webhook-signature']).split(' ')
    const attempt: Delivery = {
      id,
      timestamp,
      signatureValid: signatures.includes(`v1,${expected}`),
      body: JSON.parse(raw) as Delivery['body'],
      raw,
    }
    this.attempts.push(attempt)
    const status = this.answer(attempt)
    if (status === 'hang') {
      this.#held.push(response)
    } else {
      if (status >= 200 && status < 300) this.deliveries.push(attempt)
      response.writeHead(status).end()
    }
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** Resolves once `predicate` holds (checked after every attempt), or fails after 10 s. */
  async until(predicate: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve)
        setTimeout(resolve, 100).unref()
      })
    }
  }

  release(): void {
    for (const response of this.#held.splice(0)) response.writeHead(204).end()
  }

  async close(): Promise<void> {
    this.release()
    this.#server?.closeAllConnections()
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()))
  }
}

async function startWithWebhooks(
  receiver: Receiver,
  env: Record<string, string> = {},
): Promise<Service> {
  const config = testConfig({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, ...env })
  const app = await buildApp(config, { webhook: { retryDelayMs: 5, maxRetryDelayMs: 20 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { url: `http://127.0.0.1:${address.port}`, app, config, close: () => app.close() }
}

function claimsOf(token: string): { sub: string; sid: string } {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as {
    sub: string
    sid: string
  }
}

async function register(service: Service): Promise<string> {
  const username = uniqueName('hook')
  const response = await postJson(service, '/auth/register', { username, password: PASSWORD })
  assert.equal(response.status, 201)
  return username
}

describe('webhook signing (Standard Webhooks)', () => {
  test("the specification's example signature comes out", () => {
    const parsed = parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
    assert.ok('key' in parsed)
    const signature = signWebhook(
      parsed.key,
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    )
    assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
    assert.ok(
      verifyWebhookSignature(
        parsed.key,
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
        `v1,bm90IGl0 ${signature}`,
      ),
    )
    assert.ok(!verifyWebhookSignature(parsed.key, 'msg_other', 1614265330, '{}', signature))
  })

  test('a secret that is not whsec_ and 24 to 64 bytes of base64 is refused, by rule', () => {
    assert.deepEqual(parseWebhookSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), {
      reason: 'must start with "whsec_"',
    })
    assert.ok('reason' in parseWebhookSecret('whsec_not base64!'))
    assert.ok('reason' in parseWebhookSecret(`whsec_${randomBytes(16).toString('base64')}`))
    assert.ok('reason' in parseWebhookSecret(`whsec_${randomBytes(65).toString('base64')}`))
  })

  test('WEBHOOK_URL and WEBHOOK_SECRET go together, and a bad secret is never echoed', () => {
    assert.throws(
      () => testConfig({ WEBHOOK_URL: 'http://127.0.0.1:1/hooks' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'WEBHOOK_SECRET',
    )
    assert.throws(
      () => testConfig({ WEBHOOK_SECRET: SECRET }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'WEBHOOK_URL',
    )
    assert.throws(
      () => testConfig({ WEBHOOK_URL: 'ftp://x/hooks', WEBHOOK_SECRET: SECRET }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'WEBHOOK_URL',
    )
    const wrong = 'whsec_short-secret-value'
    assert.throws(
      () => testConfig({ WEBHOOK_URL: 'http://127.0.0.1:1/hooks', WEBHOOK_SECRET: wrong }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'WEBHOOK_SECRET' &&
        !error.message.includes('short-secret-value'),
    )
    assert.equal(testConfig().webhook, undefined)
  })
})

describe('the service sends signed notices', () => {
  const receiver = new Receiver()
  let service: Service
  before(async () => {
    await receiver.start()
    service = await startWithWebhooks(receiver)
  })
  after(async () => {
    await service.close()
    await receiver.close()
  })

  test('a login sends a signed session.started notice with the device and IP, and no token', async () => {
    const username = await register(service)
    const response = await postJson(
      service,
      '/auth/login',
      { username, password: PASSWORD },
      { 'user-agent': 'HookTest/1.0' },
    )
    assert.equal(response.status, 200)
    const tokens = (await response.json()) as { access_token: string; refresh_token: string }
    const sub = (
      JSON.parse(
        Buffer.from(tokens.access_token.split('.')[1] as string, 'base64url').toString(),
      ) as { sub: string; sid: string }
    ).sub
    await receiver.until(
      () => receiver.deliveries.some((d) => d.body.data.sub === sub),
      'the login notice',
    )
    const notice = receiver.deliveries.find((d) => d.body.data.sub === sub) as Delivery
    assert.equal(notice.signatureValid, true)
    assert.match(notice.id, /^msg_[A-Za-z0-9_-]+$/)
    assert.equal(notice.body.type, 'session.started')
    assert.equal(notice.body.data.ip, '127.0.0.1')
    assert.equal(notice.body.data.user_agent, 'HookTest/1.0')
    assert.equal(typeof notice.body.data.sid, 'string')
    assert.ok(Math.abs(notice.timestamp - Date.now() / 1000) < 60)
    assert.ok(!notice.raw.includes(tokens.access_token) && !notice.raw.includes(PASSWORD))
    assert.ok(!notice.raw.includes(tokens.refresh_token))
  })

  test('a reused refresh token sends a signed refresh.reuse_detected notice', async () => {
    const username = await register(service)
    const login = (await (
      await postJson(service, '/auth/login', { username, password: PASSWORD })
    ).json()) as { refresh_token: string }
    const refresh = () =>
      postForm(service, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: login.refresh_token,
      })
    assert.equal((await refresh()).status, 200)
    // Past REFRESH_RETRY_WINDOW's repeat: the test config keeps it, so wait for the heir to be used.
    const again = await refresh()
    if (again.status === 200) {
      const heir = (await again.json()) as { refresh_token: string }
      await postForm(service, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: heir.refresh_token,
      })
      await refresh()
    }
    await receiver.until(
      () => receiver.deliveries.some((d) => d.body.type === 'refresh.reuse_detected'),
      'the reuse notice',
    )
    const notice = receiver.deliveries.find(
      (d) => d.body.type === 'refresh.reuse_detected',
    ) as Delivery
    assert.equal(notice.signatureValid, true)
    assert.equal(typeof notice.body.data.sid, 'string')
  })

  test('a password change, a suspension and a deletion each send their signed notice', async () => {
    const username = await register(service)
    const tokens = (await (
      await postJson(service, '/auth/login', { username, password: PASSWORD })
    ).json()) as { access_token: string }
    const { sub, sid } = claimsOf(tokens.access_token)
    const changed = await fetch(`${service.url}/auth/password`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ new_password: 'a brand new passphrase 42' }),
    })
    assert.equal(changed.status, 200)
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
    const suspended = await fetch(`${service.url}/admin/users/${sub}/suspend`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ reason: 'chargeback' }),
    })
    assert.equal(suspended.status, 200)
    const deleted = await fetch(`${service.url}/admin/users/${sub}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    assert.equal(deleted.status, 204)
    const types = ['user.password_changed', 'user.suspended', 'user.deleted']
    const mine = () => receiver.deliveries.filter((d) => d.body.data.sub === sub)
    await receiver.until(
      () => types.every((type) => mine().some((d) => d.body.type === type)),
      'the three notices',
    )
    const byType = (type: string) => mine().find((d) => d.body.type === type) as Delivery
    assert.ok(mine().every((d) => d.signatureValid))
    assert.equal(byType('user.password_changed').body.data.sid, sid)
    assert.equal(byType('user.suspended').body.data.reason, 'chargeback')
    assert.equal(byType('user.suspended').body.data.until, null)
    assert.ok(!mine().some((d) => d.raw.includes('a brand new passphrase')))
  })

  test('a receiver that fails and then succeeds gets the same message again, signed anew', async () => {
    let failures = 2
    receiver.answer = (attempt) =>
      attempt.body.type === 'session.started' && failures-- > 0 ? 503 : 204
    try {
      const username = await register(service)
      const response = await postJson(service, '/auth/login', { username, password: PASSWORD })
      const { sub } = claimsOf(((await response.json()) as { access_token: string }).access_token)
      await receiver.until(
        () => receiver.deliveries.some((d) => d.body.data.sub === sub),
        'the retried notice',
      )
      const attempts = receiver.attempts.filter((a) => a.body.data.sub === sub)
      assert.equal(attempts.length, 3)
      assert.equal(new Set(attempts.map((a) => a.id)).size, 1)
      assert.ok(attempts.every((a) => a.signatureValid))
      assert.ok(attempts.every((a) => a.raw === attempts[0]?.raw))
    } finally {
      receiver.answer = () => 204
    }
  })

  test('/metrics shows the notices by outcome and the queue', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text()
    const delivered = /^revocable_webhook_notices\{outcome="delivered"\} (\d+)$/m.exec(text)
    assert.ok(Number(delivered?.[1]) >= 3, 'delivered notices are counted')
    assert.match(text, /^revocable_webhook_notices\{outcome="retried"\} [1-9]/m)
    assert.match(text, /^revocable_webhook_pending \d+$/m)
  })

  test('a receiver that never answers does not hold up the login', async () => {
    receiver.answer = (attempt) => (attempt.body.type === 'session.started' ? 'hang' : 204)
    try {
      const username = await register(service)
      const before = receiver.attempts.length
      // A deadline, not a timing: a login that waited for the receiver would never answer.
      const response = await fetch(`${service.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
        signal: AbortSignal.timeout(10_000),
      })
      assert.equal(response.status, 200)
      // The notice is held open by the receiver (or not yet sent) while the login has answered.
      await receiver.until(() => receiver.attempts.length > before, 'the held notice')
      assert.equal(
        receiver.deliveries.filter(
          (d) => d.body.data.sub === receiver.attempts.at(-1)?.body.data.sub,
        ).length,
        0,
      )
    } finally {
      receiver.answer = () => 204
      receiver.release()
    }
  })
})

describe('the webhook queue', () => {
  const receiver = new Receiver()
  before(() => receiver.start())
  after(() => receiver.close())

  test('is bounded: past maxQueued a message is dropped, counted and warned about once', async () => {
    receiver.answer = () => 'hang'
    const warnings: string[] = []
    const sender = new WebhookSender({
      url: receiver.url,
      key: KEY,
      maxQueued: 2,
      warn: (line) => warnings.push(line),
    })
    assert.equal(sender.send('user.deleted', { sub: 'a' }), true)
    assert.equal(sender.send('user.deleted', { sub: 'b' }), true)
    assert.equal(sender.send('user.deleted', { sub: 'c' }), false)
    assert.equal(sender.send('user.deleted', { sub: 'd' }), false)
    assert.equal(sender.counts.dropped, 2)
    assert.equal(warnings.length, 1)
    assert.doesNotMatch(warnings[0] as string, /127\.0\.0\.1/)
    receiver.release()
    receiver.answer = () => 204
    await receiver.until(() => sender.pending === 0, 'the queue to empty')
    receiver.release()
    await sender.idle()
    assert.equal(sender.counts.delivered, 2)
    await sender.close()
  })

  test('gives up after maxAttempts, saying which message without its body', async () => {
    receiver.answer = () => 500
    const warnings: string[] = []
    const sender = new WebhookSender({
      url: receiver.url,
      key: KEY,
      maxAttempts: 3,
      retryDelayMs: 1,
      warn: (line) => warnings.push(line),
    })
    const before = receiver.attempts.length
    sender.send('user.suspended', { sub: 'secret-sub-value' })
    await sender.idle()
    assert.equal(receiver.attempts.length - before, 3)
    assert.deepEqual(sender.counts, { delivered: 0, failed: 1, dropped: 0, retried: 2 })
    assert.equal(warnings.length, 1)
    assert.match(
      warnings[0] as string,
      /^revocable: webhook user\.suspended msg_\S+ not delivered after 3 attempt\(s\)$/,
    )
    receiver.answer = () => 204
    await sender.close()
  })

  test('410 Gone stops the retries at once', async () => {
    receiver.answer = () => 410
    const sender = new WebhookSender({
      url: receiver.url,
      key: KEY,
      retryDelayMs: 1,
      warn: () => {},
    })
    const before = receiver.attempts.length
    sender.send('user.deleted', { sub: 'x' })
    await sender.idle()
    assert.equal(receiver.attempts.length - before, 1)
    assert.equal(sender.counts.failed, 1)
    receiver.answer = () => 204
    await sender.close()
  })

  test('close gives up a retry that is waiting for its time, without sending it', async () => {
    receiver.answer = () => 500
    const sender = new WebhookSender({
      url: receiver.url,
      key: KEY,
      retryDelayMs: 60_000,
      warn: () => {},
    })
    const before = receiver.attempts.length
    sender.send('user.deleted', { sub: 'waiting' })
    await receiver.until(() => sender.counts.retried === 1, 'the first failed attempt')
    await sender.close()
    assert.equal(receiver.attempts.length - before, 1)
    assert.deepEqual(sender.counts, { delivered: 0, failed: 0, dropped: 1, retried: 1 })
    receiver.answer = () => 204
  })

  test('close gives up waiting retries and aborts what is still in flight after the grace', async () => {
    receiver.answer = () => 'hang'
    const sender = new WebhookSender({ url: receiver.url, key: KEY, warn: () => {} })
    sender.send('user.deleted', { sub: 'y' })
    await receiver.until(() => receiver.attempts.at(-1)?.body.data.sub === 'y', 'the attempt')
    await sender.close(10)
    assert.equal(sender.pending, 0)
    assert.equal(sender.counts.dropped, 1)
    assert.equal(sender.send('user.deleted', { sub: 'z' }), false)
    receiver.answer = () => 204
    receiver.release()
  })
})
