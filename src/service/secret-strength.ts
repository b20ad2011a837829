/**
 * How guessable a configured secret is (client secrets, the admin token). Length alone lets
 * `aaaaaaaaaaaaaaaa` through; this estimate also sees repeats, runs and short alphabets.
 */
import { isCommonPassword } from './users/common-passwords.js'

/** Secrets below this estimate are refused at start. */
export const MIN_SECRET_BITS = 40
export const MIN_SECRET_LENGTH = 16

/** Shannon entropy, in bits per symbol, of the symbols' own distribution. */
function entropyPerSymbol(symbols: readonly number[]): number {
  const counts = new Map<number, number>()
  for (const symbol of symbols) counts.set(symbol, (counts.get(symbol) ?? 0) + 1)
  let bits = 0
  for (const count of counts.values()) {
    const p = count / symbols.length
    bits -= p * Math.log2(p)
  }
  return bits
}

/**
 * A conservative estimate of a secret's entropy in bits: its length times the smaller of the
 * entropy of its characters and of the steps between them, so a repeat (`aaaa…`, `abab…`) and a
 * run (`abcd…`, `1234…`) both score low. A random base64 string of 22 characters scores ~90.
 *
 * @example
 * estimateEntropyBits('aaaaaaaaaaaaaaaa') // 0
 * estimateEntropyBits('Q7m2xVb9LkP4wZr8') // ~62
 */
export function estimateEntropyBits(secret: string): number {
  const points = [...secret].map((character) => character.codePointAt(0) as number)
  if (points.length < 2) return 0
  const steps = points.slice(1).map((point, index) => point - (points[index] as number))
  return points.length * Math.min(entropyPerSymbol(points), entropyPerSymbol(steps))
}

/** True when the text is a shorter string repeated (`passwordpassword`). */
function isRepetition(text: string): boolean {
  for (let period = 1; period <= text.length / 2; period += 1) {
    if (text.length % period === 0 && text.slice(0, period).repeat(text.length / period) === text) {
      return true
    }
  }
  return false
}

/**
 * Why a configured secret is too weak, or undefined when it is fine. The reason never quotes
 * the secret.
 *
 * @example
 * weakSecretReason('aaaaaaaaaaaaaaaa') // 'has too little entropy …'
 */
export function weakSecretReason(secret: string): string | undefined {
  const advice = 'use a random value, e.g. `openssl rand -base64 32`'
  if ([...secret].length < MIN_SECRET_LENGTH) {
    return `must be at least ${MIN_SECRET_LENGTH} characters (${advice})`
  }
  if (
    isRepetition(secret) ||
    isCommonPassword(secret) ||
    estimateEntropyBits(secret) < MIN_SECRET_BITS
  ) {
    return `has too little entropy: repeats, runs or common words are guessable (${advice})`
  }
  return undefined
}
