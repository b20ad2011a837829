import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { exportJWK } from 'jose'
import { createRevocable, MemoryStore } from '../../../src/index.js'
import type { Algorithm } from '../../../src/keys/algorithms.js'
import { SqliteStore } from '../../../src/stores/sqlite.js'
import { AUDIENCE, ISSUER, keyPair, makeAuth } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'
import { parts } from '../../support/forge.js'

const kidOf = (token: string): unknown => parts(token).header.kid
const algOf = (token: string): unknown => parts(token).header.alg

// keyPublishLead 0: these tests are about which key signs after a rotation, not about when.
async function generatedRing(
  options: { algorithm?: Algorithm; keyReloadInterval?: number; keyPublishLead?: number } = {},
) {
  const clock = manualClock()
  const store = new MemoryStore({ clock })
  const open = () =>
    createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      store,
      clock,
      keyPublishLead: 0,
      ...options,
    })
  return { clock, store, open, auth: await open() }
}

test('with no keys configured, the ring generates one key that signs', async () => {
  const { auth, store } = await generatedRing()
  const keys = auth.listKeys()
  assert.equal(keys.length, 1)
  assert.equal(keys[0]?.signing, true)
  assert.equal(keys[0]?.alg, 'ES256')
  assert.deepEqual(
    (await store.listKeys()).map((key) => key.kid),
    [keys[0]?.kid],
  )
  const token = await auth.issue({ sub: 'alice' })
  assert.equal(kidOf(token), keys[0]?.kid)
})

for (const algorithm of ['ES256', 'EdDSA', 'RS256', 'HS256'] as const) {
  test(`a generated ${algorithm} key signs tokens that verify`, async () => {
    const { auth } = await generatedRing({ algorithm })
    const token = await auth.issue({ sub: 'alice' })
    assert.equal(algOf(token), algorithm)
    assert.equal((await auth.verify(token)).sub, 'alice')
  })
}

test('rotateKeys makes the new key sign while tokens of the old key still verify', async () => {
  const { auth } = await generatedRing()
  const before = await auth.issue({ sub: 'alice' })
  const oldKid = kidOf(before)
  const newKid = await auth.rotateKeys()
  assert.notEqual(newKid, oldKid)
  const after = await auth.issue({ sub: 'alice' })
  assert.equal(kidOf(after), newKid)
  assert.equal((await auth.verify(before)).sub, 'alice')
  assert.equal((await auth.verify(after)).sub, 'alice')
  assert.deepEqual(auth.listKeys().find((key) => key.signing)?.kid, newKid)
})

test('a rotated key is published at once and signs only after keyPublishLead', async () => {
  const { auth, clock } = await generatedRing({ keyPublishLead: 60 })
  const oldKid = auth.listKeys()[0]?.kid
  const newKid = await auth.rotateKeys()
  assert.ok(auth.jwks().keys.some((key) => key.kid === newKid))
  assert.equal(kidOf(await auth.issue({ sub: 'alice' })), oldKid)
  clock.advance(59_999)
  assert.equal(kidOf(await auth.issue({ sub: 'alice' })), oldKid)
  clock.advance(1)
  assert.equal(kidOf(await auth.issue({ sub: 'alice' })), newKid)
  assert.equal(auth.listKeys().find((key) => key.signing)?.kid, newKid)
})

test('a key rotated in the same millisecond still outranks the current one', async () => {
  const { auth } = await generatedRing()
  const first = await auth.rotateKeys()
  const second = await auth.rotateKeys()
  assert.notEqual(first, second)
  assert.equal(kidOf(await auth.issue({ sub: 'alice' })), second)
})

test('retireKey rejects the tokens of that key with ERR_KEY_RETIRED', async () => {
  const { auth } = await generatedRing()
  const old = await auth.issue({ sub: 'alice' })
  await auth.rotateKeys()
  const fresh = await auth.issue({ sub: 'alice' })
  await auth.retireKey(kidOf(old) as string)
  await assert.rejects(auth.verify(old), { code: 'ERR_KEY_RETIRED' })
  assert.equal((await auth.verify(fresh)).sub, 'alice')
})

test('retireKey rejects a token that was verified before (and cached)', async () => {
  const { auth } = await generatedRing()
  const token = await auth.issue({ sub: 'alice' })
  await auth.verify(token)
  await auth.rotateKeys()
  await auth.retireKey(kidOf(token) as string)
  await assert.rejects(auth.verify(token), { code: 'ERR_KEY_RETIRED' })
})

test('a retired key disappears from the ring and from jwks()', async () => {
  const { auth } = await generatedRing()
  const oldKid = auth.listKeys()[0]?.kid as string
  await auth.rotateKeys()
  await auth.retireKey(oldKid)
  assert.ok(!auth.listKeys().some((key) => key.kid === oldKid))
  assert.ok(!auth.jwks().keys.some((key) => key.kid === oldKid))
})

test('retiring the last key that can sign generates a replacement', async () => {
  const { auth } = await generatedRing()
  const token = await auth.issue({ sub: 'alice' })
  await auth.retireKey(kidOf(token) as string)
  const next = await auth.issue({ sub: 'alice' })
  assert.notEqual(kidOf(next), kidOf(token))
  assert.equal((await auth.verify(next)).sub, 'alice')
})

test('the only configured key that signs cannot be retired: nothing else may sign', async () => {
  const { auth, kid } = await makeAuth()
  await assert.rejects(auth.retireKey(kid), TypeError)
  assert.equal(kidOf(await auth.issue({ sub: 'alice' })), kid)
})

test('retiring a configured key rejects its tokens and the next configured key signs', async () => {
  const { privateKey } = keyPair('EdDSA')
  const { auth, kid } = await makeAuth({
    keys: [
      { jwk: await exportJWK(keyPair('ES256').privateKey), alg: 'ES256', kid: 'first' },
      { jwk: await exportJWK(privateKey), alg: 'EdDSA', kid: 'second' },
    ],
  })
  assert.equal(kid, 'test-ES256')
  const token = await auth.issue({ sub: 'alice' })
  assert.equal(kidOf(token), 'first')
  await auth.retireKey('first')
  await assert.rejects(auth.verify(token), { code: 'ERR_KEY_RETIRED' })
  assert.equal(kidOf(await auth.issue({ sub: 'alice' })), 'second')
})

test('retireKey with a kid the ring never held throws a TypeError', async () => {
  const { auth } = await generatedRing()
  await assert.rejects(auth.retireKey('no-such-kid'), TypeError)
})

test('a second instance on the same MemoryStore shares the generated ring', async () => {
  const { auth, open } = await generatedRing()
  const token = await auth.issue({ sub: 'alice' })
  const second = await open()
  assert.deepEqual(
    second.listKeys().map((key) => key.kid),
    auth.listKeys().map((key) => key.kid),
  )
  assert.equal((await second.verify(token)).sub, 'alice')
  assert.equal(kidOf(await second.issue({ sub: 'bob' })), kidOf(token))
})

test('a restart on the same SQLite file sees the same ring', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-keys-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'store.db')
  const clock = manualClock()
  const open = (store: SqliteStore) =>
    createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      store,
      clock,
      algorithm: 'EdDSA',
      keyPublishLead: 0,
    })

  const firstStore = new SqliteStore({ path, clock })
  const first = await open(firstStore)
  const token = await first.issue({ sub: 'alice' })
  const rotated = await first.rotateKeys()
  await first.close()
  await firstStore.close()

  const secondStore = new SqliteStore({ path, clock })
  t.after(() => secondStore.close())
  const second = await open(secondStore)
  assert.equal(second.listKeys().length, 2)
  assert.equal(second.listKeys().find((key) => key.signing)?.kid, rotated)
  assert.equal((await second.verify(token)).sub, 'alice')
})

test('a rotation on one instance reaches another once keyReloadInterval has passed', async () => {
  const { auth, open, clock } = await generatedRing({ keyReloadInterval: 10 })
  const other = await open()
  // The first unknown kid reloads at once (a sibling's first key, test/unit/keys/first-key-race);
  // the interval counts from that reload.
  await auth.rotateKeys()
  assert.equal((await other.verify(await auth.issue({ sub: 'alice' }))).sub, 'alice')
  await auth.rotateKeys()
  const token = await auth.issue({ sub: 'alice' })
  clock.advance(9_999)
  await assert.rejects(other.verify(token), { code: 'ERR_KID_UNKNOWN' })
  clock.advance(1)
  assert.equal((await other.verify(token)).sub, 'alice')
})

test('a key retired on one instance is rejected by another that has not reloaded', async () => {
  const { auth, open } = await generatedRing()
  const other = await open()
  const token = await auth.issue({ sub: 'alice' })
  assert.equal((await other.verify(token)).sub, 'alice')
  await auth.rotateKeys()
  await auth.retireKey(kidOf(token) as string)
  await assert.rejects(other.verify(token), { code: 'ERR_KEY_RETIRED' })
})

test('a ring of public keys only verifies but cannot issue (ERR_NO_SIGNING_KEY)', async () => {
  const signer = await makeAuth()
  const token = await signer.auth.issue({ sub: 'alice' })
  const publicJwk = await exportJWK(keyPair('ES256').publicKey)
  const verifier = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    clock: signer.clock,
    keys: [{ jwk: publicJwk, alg: 'ES256', kid: signer.kid }],
  })
  assert.equal((await verifier.verify(token)).sub, 'alice')
  await assert.rejects(verifier.issue({ sub: 'alice' }), { code: 'ERR_NO_SIGNING_KEY' })
  assert.equal(verifier.listKeys()[0]?.canSign, false)
})

test('a configured key signs rather than generating one; only its public part is stored', async () => {
  const { auth, store, kid } = await makeAuth()
  assert.equal(kidOf(await auth.issue({ sub: 'alice' })), kid)
  const stored = await store.listKeys()
  assert.deepEqual(
    stored.map((key) => [key.kid, key.origin, key.sealed, 'd' in key.jwk]),
    [[kid, 'config', undefined, false]],
  )
})
