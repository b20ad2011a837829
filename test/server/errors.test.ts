import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { clientBasic, postForm, postJson, startService, type Service } from './support.js'

let service: Service
before(async () => {
  service = await startService({ BODY_LIMIT: '2048' })
})
after(() => service.close())

async function assertOAuthError(response: Response, status: number, error: string) {
  assert.equal(response.status, status)
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
  const body = (await response.json()) as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'])
  assert.equal(body.error, error)
  assert.doesNotMatch(String(body.error_description), /\n\s+at /)
}

test('a body over BODY_LIMIT is a 413', async () => {
  const response = await postJson(service, '/auth/register', {
    username: 'big',
    password: 'x'.repeat(4096),
  })
  await assertOAuthError(response, 413, 'invalid_request')
})

test('a form sent to a JSON endpoint is a 415', async () => {
  const response = await postForm(service, '/auth/login', { username: 'a', password: 'b' })
  await assertOAuthError(response, 415, 'invalid_request')
})

test('JSON or text sent to a form endpoint is a 415', async () => {
  const json = await postJson(service, '/oauth/token', { grant_type: 'refresh_token' })
  await assertOAuthError(json, 415, 'invalid_request')
  const text = await fetch(`${service.url}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...clientBasic() },
    body: 'token=abc',
  })
  await assertOAuthError(text, 415, 'invalid_request')
})

test('a form parameter given twice is a 400', async () => {
  const response = await postForm(service, '/oauth/revoke', 'token=one&token=two', clientBasic())
  await assertOAuthError(response, 400, 'invalid_request')
})

test('an unknown form parameter is a 400', async () => {
  const response = await postForm(
    service,
    '/oauth/introspect',
    { token: 'abc', extra: '1' },
    clientBasic(),
  )
  await assertOAuthError(response, 400, 'invalid_request')
})

test('a form parameter named __proto__ is a plain unknown parameter: 400', async () => {
  const response = await postForm(service, '/oauth/token', 'grant_type=refresh_token&__proto__=x')
  await assertOAuthError(response, 400, 'invalid_request')
})

test('a form content type with a charset parameter is accepted', async () => {
  const response = await fetch(`${service.url}/oauth/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      ...clientBasic(),
    },
    body: 'token=abc',
  })
  assert.equal(response.status, 200)
  assert.equal(await response.text(), '{"active":false}')
})

test('malformed JSON is a 400', async () => {
  const response = await fetch(`${service.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"username": "a", ',
  })
  await assertOAuthError(response, 400, 'invalid_request')
})

test('an empty JSON body and a JSON array are 400s', async () => {
  for (const body of ['', '[]', 'null', '"text"']) {
    const response = await fetch(`${service.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    await assertOAuthError(response, 400, 'invalid_request')
  }
})

test('wrong JSON types are 400s, not coerced', async () => {
  const bodies = [
    { username: ['a'], password: 'long enough password' },
    { username: 'someone', password: 12345678 },
    { username: 'someone', password: { $gt: '' } },
  ]
  for (const body of bodies) {
    await assertOAuthError(await postJson(service, '/auth/login', body), 400, 'invalid_request')
  }
})

test('an unknown route is a JSON 404', async () => {
  const response = await fetch(`${service.url}/nope`)
  await assertOAuthError(response, 404, 'not_found')
})

test('an oversized bearer token is a 401, not a 500', async () => {
  const response = await fetch(`${service.url}/auth/me`, {
    headers: { authorization: `Bearer ${'a'.repeat(9000)}` },
  })
  assert.equal(response.status, 401)
})
