import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StoreUnavailable } from '../../../src/errors.js'
import { importConfiguredKey } from '../../../src/keys/import.js'
import type { KeyLookup, RingKey } from '../../../src/keys/key-material.js'
import { resolveOptions, type RevocableOptions } from '../../../src/options.js'
import type { RevocationQuery, RevocationStatus } from '../../../src/records/revocation-reason.js'
import { Verifier } from '../../../src/revocation/verifier.js'
import { signAccessToken } from '../../../src/tokens/issue.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'
import { NOT_REVOKED } from '../../support/records.js'

// The Verifier holds no store: it is built here from a key, options and a lookup function.

async function setup(
  status: (query: RevocationQuery) => RevocationStatus = () => NOT_REVOKED,
  options: Partial<RevocableOptions> = {},
) {
  const clock = manualClock()
  const key: RingKey = await importConfiguredKey({ secret: HMAC_SECRET, kid: 'k1' }, 'key')
  const keys: KeyLookup = {
    get: (kid) => (kid === key.kid ? key : undefined),
    isRetired: () => false,
  }
  const queries: RevocationQuery[] = []
  const verifier = new Verifier({
    keys,
    options: resolveOptions({ issuer: ISSUER, audience: AUDIENCE, clock, ...options }),
    lookup: async (query) => {
      queries.push(query)
      return status(query)
    },
    reloadKeys: async () => {},
  })
  const now = clock()
  const token = signAccessToken(key, {
    iss: ISSUER,
    sub: 'alice',
    aud: AUDIENCE,
    iat: Math.floor(now / 1000),
    iat_ms: now,
    exp: Math.floor(now / 1000) + 300,
    jti: 'jti-1',
    sid: 'sid-1',
  })
  return { verifier, token, queries, clock }
}

test('a Verifier built without a store accepts a good token, asking the lookup once', async () => {
  const { verifier, token, queries } = await setup()
  assert.equal((await verifier.verify(token)).sub, 'alice')
  assert.deepEqual(
    queries.map(({ jti, sid, sub, kid }) => [jti, sid, sub, kid]),
    [['jti-1', 'sid-1', 'alice', 'k1']],
  )
  assert.equal(verifier.stats().directLookups, 1)
})

test('a Verifier rejects a token its lookup reports revoked, with the reason', async () => {
  const { verifier, token } = await setup(() => ({ ...NOT_REVOKED, sessionRevoked: true }))
  await assert.rejects(verifier.verify(token), { code: 'ERR_TOKEN_REVOKED' })
})

test('a Verifier rejects a token whose key the lookup reports retired', async () => {
  const { verifier, token } = await setup(() => ({ ...NOT_REVOKED, kidRetired: true }))
  await assert.rejects(verifier.verify(token), { code: 'ERR_KEY_RETIRED' })
})

test('a repeat of a verified token is a cache hit, and still asks about revocation', async () => {
  const { verifier, token, queries } = await setup()
  await verifier.verify(token)
  await verifier.verify(token)
  assert.equal(verifier.stats().tokenCache.hits, 1)
  assert.equal(queries.length, 2)
})

test('with fail-open, a lookup outage accepts the token and counts the skipped check', async () => {
  const { verifier, token } = await setup(
    () => {
      throw new StoreUnavailable('down')
    },
    { onStoreError: 'fail-open' },
  )
  assert.equal((await verifier.verify(token)).sub, 'alice')
  assert.equal(verifier.stats().revocationChecksSkipped, 1)
})

test('with fail-closed, a lookup outage rejects with ERR_STORE_UNAVAILABLE', async () => {
  const { verifier, token } = await setup(() => {
    throw new StoreUnavailable('down')
  })
  await assert.rejects(verifier.verify(token), { code: 'ERR_STORE_UNAVAILABLE' })
})

test('a Verifier rejects the token of a suspended user, and one minted before a claims change', async () => {
  const suspended = await setup(() => ({ ...NOT_REVOKED, userSuspended: true }))
  await assert.rejects(suspended.verifier.verify(suspended.token), {
    code: 'ERR_TOKEN_REVOKED',
  })
  const changed = await setup((query) => ({ ...NOT_REVOKED, claimsCutoff: query.now }))
  await assert.rejects(changed.verifier.verify(changed.token), { code: 'ERR_CLAIMS_CHANGED' })
})
