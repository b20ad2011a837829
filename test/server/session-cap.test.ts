/**
 * The service caps each user's active sessions (SESSION_CAP, default 100): past it, a login ends
 * the least recently used session, so no account can grow without bound and make every login and
 * "log out everywhere" of it walk an unbounded list.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  bearer,
  logIn,
  me,
  postForm,
  signUp,
  startService,
  type Service,
  testConfig,
  type Tokens,
} from './support.js'

let service: Service
before(async () => {
  service = await startService({ SESSION_CAP: '3' })
})
after(() => service.close())

test('the default session cap is 100', () => {
  assert.equal(testConfig().sessionCap, 100)
})

test('a login past SESSION_CAP ends the least recently used session', async () => {
  const { username, tokens: first } = await signUp(service)
  const sessions: Tokens[] = [first]
  for (let i = 0; i < 3; i += 1) sessions.push(await logIn(service, username))
  const [oldest, ...kept] = sessions as [Tokens, ...Tokens[]]
  assert.equal((await me(service, oldest.access_token)).status, 401)
  const refreshed = await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: oldest.refresh_token,
  })
  assert.equal(refreshed.status, 400)
  for (const tokens of kept) assert.equal((await me(service, tokens.access_token)).status, 200)
  const listed = await fetch(`${service.url}/auth/sessions`, {
    headers: bearer((kept[0] as Tokens).access_token),
  })
  assert.equal(((await listed.json()) as { sessions: unknown[] }).sessions.length, 3)
})
