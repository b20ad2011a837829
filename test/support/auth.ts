import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { exportJWK } from 'jose'
import { createRevocable, type Revocable, type RevocableOptions } from '../../src/index.js'
import type { Algorithm } from '../../src/keys/algorithms.js'
import { MemoryStore } from '../../src/stores/memory.js'
import { manualClock, type ManualClock } from './clock.js'

export const ISSUER = 'https://auth.example.test'
export const AUDIENCE = 'api.example.test'

export const HMAC_SECRET = 'an-hmac-secret-of-at-least-32-bytes!!'

/** Fixed key pairs per algorithm, made once per test process. */
const pairs = new Map<Algorithm, { privateKey: KeyObject; publicKey: KeyObject }>()
export function keyPair(alg: Exclude<Algorithm, 'HS256'>): {
  privateKey: KeyObject
  publicKey: KeyObject
} {
  let pair = pairs.get(alg)
  if (pair === undefined) {
    pair =
      alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : alg === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 })
    pairs.set(alg, pair)
  }
  return pair
}

export interface TestAuth {
  auth: Revocable
  clock: ManualClock
  store: MemoryStore
  /** The private (or secret) key the auth signs with, for forging tokens. */
  signKey: KeyObject
  kid: string
  alg: Algorithm
}

/** A Revocable on a memory store and a manual clock, with a known key for `alg`. */
export async function makeAuth(
  options: Partial<RevocableOptions> & { alg?: Algorithm } = {},
): Promise<TestAuth> {
  const { alg = 'ES256', ...rest } = options
  const clock = rest.clock ? (rest.clock as ManualClock) : manualClock()
  const store = (rest.store as MemoryStore | undefined) ?? new MemoryStore({ clock })
  const kid = `test-${alg}`
  let signKey: KeyObject
  let keys: RevocableOptions['keys']
  if (alg === 'HS256') {
    keys = [{ secret: HMAC_SECRET, kid }]
    signKey = (await import('node:crypto')).createSecretKey(Buffer.from(HMAC_SECRET))
  } else {
    const { privateKey } = keyPair(alg)
    keys = [{ jwk: await exportJWK(privateKey), alg, kid }]
    signKey = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }))
  }
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys,
    clock,
    store,
    ...rest,
  })
  return { auth, clock, store, signKey, kid, alg }
}
