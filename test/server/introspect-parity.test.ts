/**
 * RFC 7662 introspection of a refresh token answers what a refresh with it would do: the service
 * asks the library (`inspectRefreshToken`) instead of re-deciding the revocation rule.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  ADMIN_TOKEN,
  bearer,
  clientBasic,
  logIn,
  postForm,
  postJson,
  signUp,
  startService,
  type Service,
} from './support.js'

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

async function introspectActive(token: string): Promise<boolean> {
  const response = await postForm(service, '/oauth/introspect', { token }, clientBasic())
  assert.equal(response.status, 200)
  return ((await response.json()) as { active: boolean }).active
}

async function refreshStatus(token: string): Promise<number> {
  const response = await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: token,
  })
  return response.status
}

test('after an admin revokes a user, introspect and refresh both refuse the old refresh token', async () => {
  const { sub, tokens } = await signUp(service)
  const revoked = await postJson(service, `/admin/users/${sub}/revoke`, {}, bearer(ADMIN_TOKEN))
  assert.equal(revoked.status, 204)
  assert.equal(await introspectActive(tokens.refresh_token), false)
  assert.equal(await refreshStatus(tokens.refresh_token), 400)
})

test('a login after the user was revoked introspects as active and refreshes', async () => {
  const { sub, username } = await signUp(service)
  await postJson(service, `/admin/users/${sub}/revoke`, {}, bearer(ADMIN_TOKEN))
  const fresh = await logIn(service, username)
  assert.equal(await introspectActive(fresh.refresh_token), true)
  assert.equal(await refreshStatus(fresh.refresh_token), 200)
})
