import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkPassword } from '../../src/service/users/password-policy.js'

test('checkPassword counts code points, not UTF-16 units', () => {
  // Eight emoji are eight characters (16 UTF-16 units): long enough.
  assert.equal(checkPassword('🦊🐻🐼🐨🦁🐯🐮🐷', 'someone'), undefined)
  // Four emoji are 8 UTF-16 units but only four characters.
  assert.equal(checkPassword('🦊🐻🐼🐨', 'someone'), 'the password must be at least 8 characters')
})
