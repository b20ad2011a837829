import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ADMIN_CONSOLE_SECONDS,
  consoleCookieValid,
  consoleCsrf,
  issueConsoleCookie,
} from '../../../src/server/pages/admin-session.js'
import { describeDevice } from '../../../src/server/pages/device.js'

const TOKEN = 'admin-token-0123456789abcdef-unit'
const NOW = 1_800_000_000_000

test('a console cookie is valid until it expires, and only under the token that issued it', () => {
  const cookie = issueConsoleCookie(TOKEN, NOW)
  assert.ok(!cookie.includes(TOKEN))
  assert.equal(consoleCookieValid(TOKEN, cookie, NOW + 1000), true)
  assert.equal(consoleCookieValid(TOKEN, cookie, NOW + ADMIN_CONSOLE_SECONDS * 1000), false)
  assert.equal(consoleCookieValid(`${TOKEN}-rotated`, cookie, NOW + 1000), false)
})

test('a console cookie with a changed expiry or a forged mac is refused', () => {
  const [version, , nonce, mac] = issueConsoleCookie(TOKEN, NOW).split('.')
  const later = `${version}.${NOW + 10 ** 12}.${nonce}.${mac}`
  assert.equal(consoleCookieValid(TOKEN, later, NOW), false)
  assert.equal(consoleCookieValid(TOKEN, 'v1.1.2.3', NOW), false)
  assert.equal(consoleCookieValid(TOKEN, '', NOW), false)
})

test('the console CSRF field is bound to one console sign-in', () => {
  const one = issueConsoleCookie(TOKEN, NOW)
  const two = issueConsoleCookie(TOKEN, NOW)
  assert.notEqual(consoleCsrf(TOKEN, one), consoleCsrf(TOKEN, two))
})

test('a device label names browser and OS, and bounds what reaches the page', () => {
  assert.deepEqual(
    describeDevice(
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
    ),
    { browser: 'Safari 17', os: 'Mac OS 10.15.7' },
  )
  assert.deepEqual(describeDevice(undefined), { browser: 'Unknown browser', os: 'unknown system' })
  const long = describeDevice(`Mozilla/5.0 (X11; Linux x86_64) Firefox/${'9'.repeat(200)}`)
  assert.ok(long.browser.length <= 40)
})
