/** jsonwebtoken's timespans: a number of seconds, or a string in the `ms` package's grammar. */
import { signError } from './errors.js'

// The `ms` package's grammar, which jsonwebtoken's timespans use (a bare number is milliseconds).
const TIMESPAN =
  /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i
const SECOND = 1000
const UNIT_MS: Readonly<Record<string, number>> = {
  y: 365.25 * 86_400 * SECOND,
  w: 7 * 86_400 * SECOND,
  d: 86_400 * SECOND,
  h: 3600 * SECOND,
  m: 60 * SECOND,
  s: SECOND,
}

function unitMs(unit: string | undefined): number {
  if (unit === undefined) return 1
  const lower = unit.toLowerCase()
  if (lower.startsWith('ms') || lower.startsWith('milli')) return 1
  return UNIT_MS[lower[0] as string] as number
}

/** jsonwebtoken's `timespan`: seconds after `iat` (a number) or an `ms` string. */
export function timespan(name: string, value: unknown, iat: number): number {
  if (typeof value === 'number' && Number.isInteger(value)) return iat + value
  const match = typeof value === 'string' ? TIMESPAN.exec(value) : null
  if (match === null) {
    throw signError(
      `"${name}" should be a number of seconds or string representing a timespan eg: "1d", "20h", 60`,
    )
  }
  return Math.floor(iat + (Number(match[1]) * unitMs(match[2])) / 1000)
}
