import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import * as errors from '../../src/errors.js'
import { ERROR_TABLE, RevocableError } from '../../src/errors.js'

interface DocRow {
  code: string
  className: string
  status: number
  oauthError: string
}

function documentedRows(): DocRow[] {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `ERR_'))
    .map((line) => {
      const cells = line.split('|').map((cell) => cell.trim().replace(/`/g, ''))
      return {
        code: cells[1] as string,
        className: cells[2] as string,
        status: Number(cells[3]),
        oauthError: cells[4] as string,
      }
    })
}

const errorClasses = Object.values(errors).filter(
  (value): value is typeof RevocableError =>
    typeof value === 'function' && value.prototype instanceof RevocableError,
)

test('docs/errors.md lists exactly the codes of ERROR_TABLE, with the same HTTP mapping', () => {
  const rows = documentedRows()
  assert.deepEqual(rows.map((row) => row.code).sort(), Object.keys(ERROR_TABLE).sort())
  for (const row of rows) {
    const mapping = ERROR_TABLE[row.code as keyof typeof ERROR_TABLE]
    assert.deepEqual({ status: row.status, oauthError: row.oauthError }, mapping, row.code)
  }
})

test('every documented code has the documented class, and every class is documented', () => {
  const byClass = new Map(errorClasses.map((cls) => [cls.name, cls.code]))
  for (const row of documentedRows())
    assert.equal(byClass.get(row.className), row.code, row.className)
  assert.equal(byClass.size, documentedRows().length)
})

test('an error carries its code on the class and the instance, and its HTTP mapping', () => {
  const error = new errors.TokenRevoked('user')
  assert.equal(error.code, 'ERR_TOKEN_REVOKED')
  assert.equal(errors.TokenRevoked.code, 'ERR_TOKEN_REVOKED')
  assert.equal(error.name, 'TokenRevoked')
  assert.equal(error.reason, 'user')
  assert.deepEqual(error.http, { status: 401, oauthError: 'invalid_token' })
  assert.ok(error instanceof RevocableError)
})

test('a store failure keeps its cause', () => {
  const cause = new Error('ECONNREFUSED')
  const error = new errors.StoreUnavailable('store failed', { cause })
  assert.equal(error.cause, cause)
  assert.deepEqual(error.http, { status: 503, oauthError: 'temporarily_unavailable' })
})

test('the error table is frozen', () => {
  assert.ok(Object.isFrozen(ERROR_TABLE))
})
