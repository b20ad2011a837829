/**
 * Password rules at registration (issue 16 item 5, NIST SP 800-63B §5.1.1.2): at least 8
 * characters, up to 256 accepted, not a common or breached password, not the username.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { postJson, startService, uniqueName, type Service } from './support.js'

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

async function register(password: string, username = uniqueName('pw')) {
  const response = await postJson(service, '/auth/register', { username, password })
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

describe('POST /auth/register password rules', () => {
  for (const password of ['12345678', 'password1', 'iloveyou', 'qwertyuiop', 'Password1']) {
    test(`the common password "${password}" is refused with a clear 400`, async () => {
      const { status, body } = await register(password)
      assert.equal(status, 400)
      assert.deepEqual(body, {
        error: 'invalid_password',
        error_description: 'the password is too common: it appears in lists of breached passwords',
      })
    })
  }

  test('a password of one repeated character is refused', async () => {
    const { status, body } = await register('aaaaaaaa')
    assert.equal(status, 400)
    assert.equal(body.error, 'invalid_password')
    assert.equal(body.error_description, 'the password must not be a repeated or sequential run')
  })

  test('the username as password is refused, whatever its case', async () => {
    const username = uniqueName('Samename')
    const { status, body } = await register(username.toUpperCase(), username)
    assert.equal(status, 400)
    assert.deepEqual(body, {
      error: 'invalid_password',
      error_description: 'the password must not be the username',
    })
  })

  test('a 7-character password is refused with a message that says so', async () => {
    const { status, body } = await register('Zq8#vL2')
    assert.equal(status, 400)
    assert.equal(body.error_description, 'the password must be at least 8 characters')
  })

  test('a 64-character passphrase is accepted, and 256 characters too', async () => {
    assert.equal(
      (await register('correct horse battery staple '.repeat(3).slice(0, 64))).status,
      201,
    )
    assert.equal((await register('Tr0ub4dor&3 '.repeat(22).slice(0, 256))).status, 201)
  })

  test('more than 256 characters is refused with a message that says so', async () => {
    const { status, body } = await register('x7'.repeat(129))
    assert.equal(status, 400)
    assert.equal(body.error_description, 'the password must be at most 256 characters')
  })
})
