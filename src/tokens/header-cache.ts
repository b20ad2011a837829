import type { RingKey } from '../keys/key-material.js'

const MAX_HEADERS = 64

/**
 * Protected headers already checked, by their exact base64url text, with the key they select.
 * A service sees one header per signing key, so this skips decoding and re-checking the header
 * of almost every token. Only headers that passed every check enter; the owner clears it
 * whenever the key ring changes. Bounded, since an author can vary a header's spelling at will.
 */
export class HeaderCache {
  readonly #entries = new Map<string, RingKey>()
  // The last hit, compared as a string: cheaper than hashing a freshly sliced segment.
  #lastSegment = ''
  #lastKey: RingKey | undefined

  get(segment: string): RingKey | undefined {
    if (segment === this.#lastSegment) return this.#lastKey
    const key = this.#entries.get(segment)
    if (key !== undefined) {
      this.#lastSegment = segment
      this.#lastKey = key
    }
    return key
  }

  set(segment: string, key: RingKey): void {
    if (this.#entries.size >= MAX_HEADERS) this.#entries.clear()
    this.#entries.set(segment, key)
  }

  clear(): void {
    this.#entries.clear()
    this.#lastSegment = ''
    this.#lastKey = undefined
  }
}
