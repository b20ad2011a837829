import { codeUnitsOf } from '../code-units.js'

/**
 * A set of string ids with expiry, small enough to hold a million revoked jtis in a verifier:
 * each id is kept as a 64-bit hash plus a 32-bit expiry (seconds), three words side by side in
 * one typed array (a probe touches one cache line, not three), with open addressing: 12 bytes a
 * slot, at most 80 % full, so 15 to 23 bytes an entry. Two ids whose hashes collide are both
 * reported present: a collision can only ever reject, never accept. Expired entries are ignored
 * at once and dropped by `sweep`.
 */
export class ExpiringIdSet {
  /** Slot i is words 3i (high hash), 3i+1 (low hash), 3i+2 (expiry, seconds; 0: empty). */
  #slots: Uint32Array
  #capacity: number
  #size = 0

  constructor(initialCapacity = 1024) {
    this.#capacity = Math.max(1, Math.ceil(initialCapacity))
    this.#slots = new Uint32Array(this.#capacity * 3)
  }

  /** Entries held, expired ones included until the next sweep. */
  get size(): number {
    return this.#size
  }

  /** Bytes of the table. */
  get byteLength(): number {
    return this.#slots.byteLength
  }

  /** Adds an id until `expiresAtMs`; an id already there keeps the later expiry. */
  add(id: string, expiresAtMs: number): void {
    if ((this.#size + 1) * 5 > this.#capacity * 4) {
      this.#rebuild(Math.ceil(this.#capacity * 1.5), 0)
    }
    const expiry = Math.ceil(expiresAtMs / 1000)
    hashId(id)
    const slots = this.#slots
    const capacity = this.#capacity
    let slot = HASH_LOW % capacity
    for (;;) {
      const at = slot * 3
      const current = slots[at + 2] as number
      if (current === 0) {
        slots[at] = HASH_HIGH
        slots[at + 1] = HASH_LOW
        slots[at + 2] = expiry
        this.#size += 1
        return
      }
      if (slots[at] === HASH_HIGH && slots[at + 1] === HASH_LOW) {
        if (expiry > current) slots[at + 2] = expiry
        return
      }
      slot = slot + 1 === capacity ? 0 : slot + 1
    }
  }

  /** Whether the id is present and not expired at `nowMs`. */
  has(id: string, nowMs: number): boolean {
    if (this.#size === 0) return false
    hashId(id)
    const slots = this.#slots
    const capacity = this.#capacity
    const now = nowMs / 1000
    let slot = HASH_LOW % capacity
    for (;;) {
      const at = slot * 3
      const expiry = slots[at + 2] as number
      if (expiry === 0) return false
      if (slots[at] === HASH_HIGH && slots[at + 1] === HASH_LOW) return expiry > now
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
    this.#slots.fill(0)
    this.#size = 0
  }

  #countLive(nowMs: number): number {
    const now = nowMs / 1000
    const slots = this.#slots
    let live = 0
    for (let at = 2; at < slots.length; at += 3) {
      const expiry = slots[at] as number
      if (expiry !== 0 && expiry > now) live += 1
    }
    return live
  }

  #rebuild(capacity: number, nowMs: number): void {
    const old = this.#slots
    const slots = new Uint32Array(capacity * 3)
    this.#slots = slots
    this.#capacity = capacity
    this.#size = 0
    const now = nowMs / 1000
    for (let from = 0; from < old.length; from += 3) {
      const expiry = old[from + 2] as number
      if (expiry === 0 || expiry <= now) continue
      const low = old[from + 1] as number
      let slot = low % capacity
      while (slots[slot * 3 + 2] !== 0) slot = slot + 1 === capacity ? 0 : slot + 1
      const at = slot * 3
      slots[at] = old[from] as number
      slots[at + 1] = low
      slots[at + 2] = expiry
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
  const units = codeUnitsOf(id)
  for (let i = 0; i < id.length; i += 1) {
    const c = units[i] as number
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
