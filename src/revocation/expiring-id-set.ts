/**
 * A set of string ids with expiry, small enough to hold a million revoked jtis in a verifier:
 * each id is kept as a 64-bit hash plus a 32-bit expiry (seconds), in three typed arrays with
 * open addressing: 12 bytes a slot, at most 80 % full, so 15 to 23 bytes an entry. Two ids
 * whose hashes collide are both reported present: a collision can only ever reject, never
 * accept. Expired entries are ignored at once and dropped by `sweep`.
 */
export class ExpiringIdSet {
  #high: Uint32Array
  #low: Uint32Array
  #expiry: Uint32Array // seconds since the epoch, rounded up; 0 marks an empty slot
  #size = 0

  constructor(initialCapacity = 1024) {
    this.#high = new Uint32Array(initialCapacity)
    this.#low = new Uint32Array(initialCapacity)
    this.#expiry = new Uint32Array(initialCapacity)
  }

  /** Entries held, expired ones included until the next sweep. */
  get size(): number {
    return this.#size
  }

  /** Bytes of the typed arrays. */
  get byteLength(): number {
    return this.#high.byteLength + this.#low.byteLength + this.#expiry.byteLength
  }

  /** Adds an id until `expiresAtMs`; an id already there keeps the later expiry. */
  add(id: string, expiresAtMs: number): void {
    if ((this.#size + 1) * 5 > this.#expiry.length * 4) {
      this.#rebuild(Math.ceil(this.#expiry.length * 1.5), 0)
    }
    const expiry = Math.ceil(expiresAtMs / 1000)
    hashId(id)
    const capacity = this.#expiry.length
    let slot = HASH_LOW % capacity
    for (;;) {
      const current = this.#expiry[slot] as number
      if (current === 0) {
        this.#high[slot] = HASH_HIGH
        this.#low[slot] = HASH_LOW
        this.#expiry[slot] = expiry
        this.#size += 1
        return
      }
      if (this.#high[slot] === HASH_HIGH && this.#low[slot] === HASH_LOW) {
        if (expiry > current) this.#expiry[slot] = expiry
        return
      }
      slot = slot + 1 === capacity ? 0 : slot + 1
    }
  }

  /** Whether the id is present and not expired at `nowMs`. */
  has(id: string, nowMs: number): boolean {
    if (this.#size === 0) return false
    hashId(id)
    const capacity = this.#expiry.length
    const now = nowMs / 1000
    let slot = HASH_LOW % capacity
    for (;;) {
      const expiry = this.#expiry[slot] as number
      if (expiry === 0) return false
      if (this.#high[slot] === HASH_HIGH && this.#low[slot] === HASH_LOW) return expiry > now
      slot = slot + 1 === capacity ? 0 : slot + 1
    }
  }

  /** Drops every entry expired at `nowMs` (rebuilds the table: O(capacity)). */
  sweep(nowMs: number): void {
    // 60 % full after a sweep: room to grow before the next rebuild, and it shrinks when
    // most entries have expired.
    this.#rebuild(Math.max(1024, Math.ceil(this.#countLive(nowMs) / 0.6)), nowMs)
  }

  clear(): void {
    this.#high.fill(0)
    this.#low.fill(0)
    this.#expiry.fill(0)
    this.#size = 0
  }

  #countLive(nowMs: number): number {
    const now = nowMs / 1000
    let live = 0
    for (const expiry of this.#expiry) if (expiry !== 0 && expiry > now) live += 1
    return live
  }

  #rebuild(capacity: number, nowMs: number): void {
    const high = this.#high
    const low = this.#low
    const expiries = this.#expiry
    this.#high = new Uint32Array(capacity)
    this.#low = new Uint32Array(capacity)
    this.#expiry = new Uint32Array(capacity)
    this.#size = 0
    const now = nowMs / 1000
    for (let i = 0; i < expiries.length; i += 1) {
      const expiry = expiries[i] as number
      if (expiry === 0 || expiry <= now) continue
      let slot = (low[i] as number) % capacity
      while (this.#expiry[slot] !== 0) slot = slot + 1 === capacity ? 0 : slot + 1
      this.#high[slot] = high[i] as number
      this.#low[slot] = low[i] as number
      this.#expiry[slot] = expiry
      this.#size += 1
    }
  }
}

// The hash of the last id, in two module-level words: no allocation per lookup.
let HASH_HIGH = 0
let HASH_LOW = 0

/** Two independent 32-bit FNV-1a-style hashes with a murmur finaliser: 64 bits in all. */
function hashId(id: string): void {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let i = 0; i < id.length; i += 1) {
    const c = id.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 13
  }
  a ^= a >>> 16
  a = Math.imul(a, 0x85ebca6b)
  a ^= a >>> 13
  a = Math.imul(a, 0xc2b2ae35)
  a ^= a >>> 16
  b ^= b >>> 15
  b = Math.imul(b, 0x2c1b3c6d)
  b ^= b >>> 12
  HASH_HIGH = a >>> 0
  HASH_LOW = b >>> 0
}
