/**
 * Browser and operating system of a session, for the pages' device lists, parsed from its
 * User-Agent by ua-parser-js 1.x (MIT; its 2.x line is AGPL and must not be used here).
 */
import { UAParser } from 'ua-parser-js'

export interface DeviceLabel {
  readonly browser: string
  readonly os: string
}

const UNKNOWN: DeviceLabel = { browser: 'Unknown browser', os: 'unknown system' }

/** At most this many characters of a name or version reach a page (they are the client's text). */
const MAX_PART = 40

function part(name: string | undefined, version: string | undefined): string | undefined {
  if (name === undefined || name === '') return undefined
  const text = version === undefined || version === '' ? name : `${name} ${version}`
  return text.slice(0, MAX_PART)
}

/**
 * "Chrome 120" on "Linux" from a User-Agent; "Unknown browser" when there is none.
 *
 * @example
 * describeDevice('Mozilla/5.0 (Windows NT 10.0; Win64; x64) … Firefox/121.0')
 * // { browser: 'Firefox 121', os: 'Windows 10' }
 */
export function describeDevice(userAgent: string | null | undefined): DeviceLabel {
  if (userAgent === null || userAgent === undefined || userAgent === '') return UNKNOWN
  const result = new UAParser(userAgent).getResult()
  return {
    browser: part(result.browser.name, result.browser.major) ?? UNKNOWN.browser,
    os: part(result.os.name, result.os.version) ?? UNKNOWN.os,
  }
}
