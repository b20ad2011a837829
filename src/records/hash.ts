import { timingSafeEqual } from 'node:crypto'

/**
 * Compares two token hashes in constant time. It sits in the records layer because the rotation
 * rule (records/rotation.ts) needs it, and that rule runs inside every store.
 */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
