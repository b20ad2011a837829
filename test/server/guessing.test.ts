/**
 * Protection against guessing (issue 16 items 3 and 4): login lockouts per (username, IP), per
 * username and per IP; throttles on client secrets, the admin token and refresh tokens. The
 * clock is injected, so no test waits; requests go through the real app with `inject`, which
 * lets a test choose the client address.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/server/app.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import { manualClock, type ManualClock } from '../support/clock.js'
import {
  ADMIN_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  PASSWORD,
  testConfig,
  uniqueName,
} from './support.js'

const LIMITS = {
  LOCKOUT_PAIR_FAILURES: '3',
  LOCKOUT_USER_FAILURES: '6',
  LOCKOUT_IP_FAILURES: '10',
  LOCKOUT_CREDENTIAL_FAILURES: '3',
  LOCKOUT_SECONDS: '60',
  LOCKOUT_MAX_SECONDS: '600',
}

interface Answer {
  status: number
  retryAfter: string | undefined
  body: unknown
}

class Harness {
  constructor(
    readonly app: FastifyInstance,
    readonly clock: ManualClock,
  ) {}

  static async start(env: Record<string, string> = {}, clock = manualClock()) {
    const app = await buildApp(testConfig({ ...LIMITS, ...env }), { clock })
    await app.ready()
    return new Harness(app, clock)
  }

  async send(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options: { ip?: string; json?: unknown; form?: Record<string, string>; headers?: object } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...(options.headers as Record<string, string>) }
    let payload: string | undefined
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(options.json)
    } else if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      payload = new URLSearchParams(options.form).toString()
    }
    const response = await this.app.inject({
      method,
      url,
      headers,
      remoteAddress: options.ip ?? '192.0.2.1',
      ...(payload !== undefined && { payload }),
    })
    const retry = response.headers['retry-after']
    return {
      status: response.statusCode,
      retryAfter: retry === undefined ? undefined : String(retry),
      body: response.body === '' ? undefined : JSON.parse(response.body),
    }
  }

  login(username: string, password: string, ip: string) {
    return this.send('POST', '/auth/login', { ip, json: { username, password } })
  }

  async register(): Promise<string> {
    const username = uniqueName('guess')
    const answer = await this.send('POST', '/auth/register', {
      json: { username, password: PASSWORD },
    })
    assert.equal(answer.status, 201)
    return username
  }
}

let addresses = 0
/** A client address no other test uses (so per-IP counters never leak between tests). */
function nextIp(): string {
  addresses += 1
  return `10.16.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`
}

function statuses(answers: Answer[]): number[] {
  return answers.map((answer) => answer.status)
}

describe('login lockout', () => {
  let h: Harness
  before(async () => {
    h = await Harness.start()
  })
  after(() => h.app.close())

  test('after the threshold a (username, IP) pair gets 429 with Retry-After, even with the right password', async () => {
    const username = await h.register()
    const ip = nextIp()
    const answers: Answer[] = []
    for (let i = 0; i < 3; i += 1) answers.push(await h.login(username, 'wrong password!', ip))
    answers.push(await h.login(username, PASSWORD, ip))
    assert.deepEqual(statuses(answers), [401, 401, 401, 429])
    assert.equal(answers[3]?.retryAfter, '60')
    assert.deepEqual(answers[3]?.body, {
      error: 'too_many_requests',
      error_description: 'too many failed attempts; try again later',
    })
  })

  test('the lock ends when its time has passed, and the delay doubles with each further failure', async () => {
    const username = await h.register()
    const ip = nextIp()
    for (let i = 0; i < 3; i += 1) await h.login(username, 'wrong password!', ip)
    h.clock.advance(59_000)
    assert.equal((await h.login(username, PASSWORD, ip)).status, 429)
    h.clock.advance(1_000)
    assert.equal((await h.login(username, 'wrong password!', ip)).status, 401)
    const locked = await h.login(username, PASSWORD, ip)
    assert.equal(locked.status, 429)
    assert.equal(locked.retryAfter, '120')
    h.clock.advance(120_000)
    assert.equal((await h.login(username, PASSWORD, ip)).status, 200)
  })

  test('an unknown username gets exactly the answers an existing one gets', async () => {
    const existing = await h.register()
    const unknown = uniqueName('nobody')
    const run = async (username: string) => {
      const answers: Answer[] = []
      const ip = nextIp()
      for (let i = 0; i < 4; i += 1) answers.push(await h.login(username, 'wrong password!', ip))
      return answers
    }
    assert.deepEqual(await run(unknown), await run(existing))
  })

  test('a successful login resets the pair', async () => {
    const username = await h.register()
    const ip = nextIp()
    for (let i = 0; i < 2; i += 1) await h.login(username, 'wrong password!', ip)
    assert.equal((await h.login(username, PASSWORD, ip)).status, 200)
    const again: Answer[] = []
    for (let i = 0; i < 2; i += 1) again.push(await h.login(username, 'wrong password!', ip))
    assert.deepEqual(statuses(again), [401, 401])
    assert.equal((await h.login(username, PASSWORD, ip)).status, 200)
  })

  test('another IP is not locked out by the pair', async () => {
    const username = await h.register()
    for (let i = 0; i < 3; i += 1) await h.login(username, 'wrong password!', '198.51.100.7')
    assert.equal((await h.login(username, PASSWORD, '198.51.100.7')).status, 429)
    assert.equal((await h.login(username, PASSWORD, '198.51.100.8')).status, 200)
  })

  test('a burst of parallel guesses gets no more tries than the threshold', async () => {
    const username = await h.register()
    const ip = nextIp()
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => h.login(username, 'wrong password!', ip)),
    )
    const counts = new Map<number, number>()
    for (const { status } of burst) counts.set(status, (counts.get(status) ?? 0) + 1)
    assert.equal(counts.get(401), 3)
    assert.equal(counts.get(429), 17)
  })

  test('IPv6 addresses of one /64 count as one address', async () => {
    const username = await h.register()
    for (let i = 0; i < 3; i += 1)
      await h.login(username, 'wrong password!', `2001:db8:16::${i + 1}`)
    assert.equal((await h.login(username, PASSWORD, '2001:db8:16::ffff')).status, 429)
    assert.equal((await h.login(username, PASSWORD, '2001:db8:17::1')).status, 200)
  })

  test('failures for one username from many addresses lock the account', async () => {
    const username = await h.register()
    const answers: Answer[] = []
    for (let i = 0; i < 6; i += 1) {
      answers.push(await h.login(username, 'wrong password!', `203.0.113.${i + 1}`))
    }
    answers.push(await h.login(username, PASSWORD, '203.0.113.100'))
    assert.deepEqual(statuses(answers), [401, 401, 401, 401, 401, 401, 429])
    assert.equal(answers[6]?.retryAfter, '60')
  })

  test('failures from one address across many usernames hit the per-IP ceiling', async () => {
    const answers: Answer[] = []
    for (let i = 0; i < 11; i += 1) {
      answers.push(await h.login(uniqueName('spray'), 'Summer2026!', '198.51.100.99'))
    }
    assert.deepEqual(statuses(answers).slice(9), [401, 429])
  })

  test('the admin sees a lock and clears it', async () => {
    const username = await h.register()
    for (let i = 0; i < 3; i += 1) await h.login(username, 'wrong password!', '192.0.2.55')
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const seen = await h.send('GET', `/admin/login-locks/${username}`, { headers: auth })
    assert.equal(seen.status, 200)
    assert.deepEqual(seen.body, {
      username,
      failures: 3,
      locked: false,
      retry_after: 0,
      addresses: [{ ip: '192.0.2.55', failures: 3, locked: true, retry_after: 60 }],
    })
    const cleared = await h.send('DELETE', `/admin/login-locks/${username}`, { headers: auth })
    assert.equal(cleared.status, 204)
    assert.equal((await h.login(username, PASSWORD, '192.0.2.55')).status, 200)
  })
})

test('successful logins never count: 30 logins from one address in a minute all succeed', async () => {
  const h = await Harness.start({ LOGIN_RATE_LIMIT: '' })
  try {
    const username = await h.register()
    const ip = nextIp()
    const answers: Answer[] = []
    for (let i = 0; i < 30; i += 1) answers.push(await h.login(username, PASSWORD, ip))
    assert.deepEqual(new Set(statuses(answers)), new Set([200]))
  } finally {
    await h.app.close()
  }
})

describe('credential guessing throttles', () => {
  let h: Harness
  before(async () => {
    h = await Harness.start()
  })
  after(() => h.app.close())

  const basicAuth = (secret: string) => ({
    authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`,
  })

  test('wrong client secrets from one address get 429 with Retry-After', async () => {
    const ip = '198.51.100.20'
    const answers: Answer[] = []
    for (let i = 0; i < 3; i += 1) {
      answers.push(
        await h.send('POST', '/oauth/introspect', {
          ip,
          form: { token: 'x' },
          headers: basicAuth(`guess-${i}-guess-guess`),
        }),
      )
    }
    const right = await h.send('POST', '/oauth/token', {
      ip,
      form: { grant_type: 'client_credentials' },
      headers: basicAuth(CLIENT_SECRET),
    })
    assert.deepEqual(statuses(answers), [401, 401, 401])
    assert.equal(right.status, 429)
    assert.equal(right.retryAfter, '60')
    const elsewhere = await h.send('POST', '/oauth/token', {
      ip: '198.51.100.21',
      form: { grant_type: 'client_credentials' },
      headers: basicAuth(CLIENT_SECRET),
    })
    assert.equal(elsewhere.status, 200)
  })

  test('wrong admin tokens from one address get 429 with Retry-After', async () => {
    const ip = '198.51.100.30'
    const answers: Answer[] = []
    for (let i = 0; i < 4; i += 1) {
      const token = i < 3 ? `not-the-admin-token-${i}` : ADMIN_TOKEN
      answers.push(
        await h.send('POST', '/admin/revoke-all', {
          ip,
          json: {},
          headers: { authorization: `Bearer ${token}` },
        }),
      )
    }
    assert.deepEqual(statuses(answers), [401, 401, 401, 429])
    assert.equal(answers[3]?.retryAfter, '60')
  })

  test('invalid refresh tokens from one address get 429 with Retry-After', async () => {
    const ip = '198.51.100.40'
    const answers: Answer[] = []
    for (let i = 0; i < 4; i += 1) {
      answers.push(
        await h.send('POST', '/oauth/token', {
          ip,
          form: { grant_type: 'refresh_token', refresh_token: `rvk_rt_guess${i}` },
        }),
      )
    }
    assert.deepEqual(statuses(answers), [400, 400, 400, 429])
    assert.equal(answers[3]?.retryAfter, '60')
  })
})

describe('on the shared Redis', () => {
  const prefix = `rvk-test:guess:${randomBytes(6).toString('hex')}:`
  const env = { STORE: REDIS_URL, REDIS_PREFIX: prefix }
  let a: Harness
  let b: Harness
  before(async () => {
    const clock = manualClock()
    a = await Harness.start(env, clock)
    b = await Harness.start(env, clock)
  })
  after(async () => {
    await a.app.close()
    await b.app.close()
    await deletePrefix(REDIS_URL, prefix)
  })

  test('a lock counted by one instance holds at another', async () => {
    const username = await a.register()
    const ip = nextIp()
    for (let i = 0; i < 3; i += 1) await a.login(username, 'wrong password!', ip)
    const answer = await b.login(username, PASSWORD, ip)
    assert.equal(answer.status, 429)
    assert.equal(answer.retryAfter, '60')
  })
})
