/**
 * Which peers may tell the service the client's address through `X-Forwarded-For`
 * (TRUST_PROXY). The client writes the left-most entries itself, so only entries added by
 * proxies we trust count: the service takes the right-most entry that a trusted hop did not add.
 */
import { isIP } from 'node:net'
import { ConfigError } from './config.js'

/** Proxies trusted to set `X-Forwarded-For`: none, a hop count, or addresses/CIDRs. */
export type TrustProxy = false | number | readonly string[]

// An IPv4 or IPv6 address, with an optional /prefix (what proxy-addr, under Fastify, accepts).
function isAddressOrCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128)
}

/**
 * TRUST_PROXY: `false` (default), a number of proxy hops, or a list of proxy addresses/CIDRs.
 * `true` is refused: trusting every hop means taking the left-most X-Forwarded-For entry,
 * which the client writes itself, as its address (rate limits and session IPs would be its pick).
 */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  if (text === undefined) return false
  const value = text.trim().toLowerCase()
  if (['false', 'no', 'off', '0'].includes(value)) return false
  if (['true', 'yes', 'on'].includes(value)) {
    throw new ConfigError(
      'TRUST_PROXY',
      'must be a number of proxy hops (e.g. 1) or proxy addresses/CIDRs, not true: trusting ' +
        'every hop takes the client-written left-most X-Forwarded-For entry as its address',
    )
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops > 16) throw new ConfigError('TRUST_PROXY', 'must be a hop count from 0 to 16')
    return hops
  }
  const addresses = value.split(',').map((entry) => entry.trim())
  if (addresses.some((entry) => !isAddressOrCidr(entry))) {
    throw new ConfigError(
      'TRUST_PROXY',
      'must be false, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs',
    )
  }
  return Object.freeze(addresses)
}
