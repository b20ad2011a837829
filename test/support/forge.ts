import type { KeyObject } from 'node:crypto'
import { ALGORITHM_IMPLS, type Algorithm } from '../../src/keys/algorithms.js'

/** base64url of a JSON value or of raw text, without any checks: tests build hostile tokens. */
export function b64(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return Buffer.from(text).toString('base64url')
}

/**
 * Builds a compact JWS by hand from any header and payload, signed with `key` under `alg`'s
 * primitive, whatever the header says. This is how tests make tokens our issuer never would.
 */
export function forge(
  header: unknown,
  payload: unknown,
  signer?: { alg: Algorithm; key: KeyObject },
): string {
  const input = `${b64(header)}.${b64(payload)}`
  if (signer === undefined) return `${input}.`
  const signature = ALGORITHM_IMPLS[signer.alg].sign(Buffer.from(input), signer.key)
  return `${input}.${signature.toString('base64url')}`
}

/** Splits a compact token and decodes its header and payload. */
export function parts(token: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signature: string
} {
  const [h, p, s] = token.split('.') as [string, string, string]
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    signature: s,
  }
}

/** Re-signs a token after changing its header and/or payload with the given key. */
export function resign(
  token: string,
  change: { header?: Record<string, unknown>; payload?: Record<string, unknown> },
  signer: { alg: Algorithm; key: KeyObject },
): string {
  const { header, payload } = parts(token)
  return forge({ ...header, ...change.header }, { ...payload, ...change.payload }, signer)
}
