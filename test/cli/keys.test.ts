/**
 * Issue 19, item 5: `revocable keys generate|import|export-public|rotate|retire`, never printing
 * private material unless asked with an explicit flag.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { runCli } from '../support/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'revocable-cli-keys-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const env = { STORE: `sqlite:${join(dir, 'revocable.db')}`, ISSUER: 'http://cli.test' }

async function cli(...args: string[]) {
  return runCli({ ...env }, args)
}

const PRIVATE = /"(d|k|p|q|dp|dq|qi)":|PRIVATE KEY/

describe('keys generate', () => {
  for (const alg of ['ES256', 'EdDSA', 'RS256', 'HS256'] as const) {
    test(`${alg}: the private key goes to a new 0600 file, stdout shows none of it`, async () => {
      const out = join(dir, `${alg}.jwk`)
      const { code, stdout } = await cli('keys', 'generate', '--alg', alg, '--out', out, '--json')
      assert.equal(code, 0)
      assert.doesNotMatch(stdout, PRIVATE)
      assert.equal(statSync(out).mode & 0o777, 0o600)
      const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>
      const printed = JSON.parse(stdout) as { kid: string; publicJwk?: Record<string, string> }
      assert.equal(written.kid, printed.kid)
      assert.equal(written.alg, alg)
      assert.ok(written.d !== undefined || written.k !== undefined)
      if (alg !== 'HS256') assert.equal(printed.publicJwk?.kid, written.kid)
    })
  }

  test('--format pem writes a PKCS#8 PEM', async () => {
    const out = join(dir, 'es256.pem')
    const { code } = await cli('keys', 'generate', '--format', 'pem', '--out', out)
    assert.equal(code, 0)
    assert.match(readFileSync(out, 'utf8'), /^-----BEGIN PRIVATE KEY-----/)
  })

  test('without --out or --print-private it refuses (exit 2) and prints nothing private', async () => {
    const { code, stdout, stderr } = await cli('keys', 'generate')
    assert.equal(code, 2)
    assert.doesNotMatch(stdout + stderr, PRIVATE)
  })

  test('an existing file is never overwritten', async () => {
    const out = join(dir, 'taken.jwk')
    assert.equal((await cli('keys', 'generate', '--out', out)).code, 0)
    const before = readFileSync(out, 'utf8')
    const { code, stderr } = await cli('keys', 'generate', '--out', out)
    assert.equal(code, 1)
    assert.match(stderr, /exists: not overwritten/)
    assert.equal(readFileSync(out, 'utf8'), before)
  })

  test('--print-private prints the private key, only when asked', async () => {
    const { code, stdout } = await cli('keys', 'generate', '--alg', 'HS256', '--print-private')
    assert.equal(code, 0)
    assert.match(stdout, /"k":/)
  })
})

describe('keys import, export-public, rotate, retire on a store', () => {
  test('an imported key is sealed in the store and signs; export-public shows no private member', async () => {
    const file = join(dir, 'import.pem')
    assert.equal((await cli('keys', 'generate', '--format', 'pem', '--out', file)).code, 0)
    const imported = await cli('keys', 'import', file, '--now', '--json')
    assert.equal(imported.code, 0, imported.stderr)
    const { kid } = JSON.parse(imported.stdout) as { kid: string }
    const listed = JSON.parse((await cli('keys', 'list', '--json')).stdout) as {
      keys: { kid: string; signing: boolean }[]
    }
    assert.equal(listed.keys.find((key) => key.signing)?.kid, kid)

    const exported = await cli('keys', 'export-public')
    assert.equal(exported.code, 0)
    assert.doesNotMatch(exported.stdout, PRIVATE)
    const jwks = JSON.parse(exported.stdout) as { keys: { kid: string }[] }
    assert.ok(jwks.keys.some((key) => key.kid === kid))
    // The SQLite file holds the key sealed only.
    assert.doesNotMatch(readFileSync(join(dir, 'revocable.db')).toString('latin1'), PRIVATE)
  })

  test('rotate publishes a key that signs after the lead; retire removes it from the JWKS', async () => {
    const rotated = await cli('keys', 'rotate', '--json')
    assert.equal(rotated.code, 0, rotated.stderr)
    const { kid, activatesAt } = JSON.parse(rotated.stdout) as { kid: string; activatesAt: string }
    assert.ok(Date.parse(activatesAt) > Date.now() + 30_000)
    assert.match((await cli('keys', 'export-public')).stdout, new RegExp(kid))
    assert.equal((await cli('keys', 'retire', kid)).code, 0)
    assert.doesNotMatch((await cli('keys', 'export-public')).stdout, new RegExp(kid))
  })
})
