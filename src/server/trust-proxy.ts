/** TRUST_PROXY (parsed in src/service/trust-proxy.ts) as Fastify's `trustProxy` option. */
import type { FastifyServerOptions } from 'fastify'
import type { TrustProxy } from '../service/trust-proxy.js'

/**
 * The value for Fastify's `trustProxy`. A hop count becomes a function trusting that many hops
 * from the socket peer inwards (Fastify itself now treats a bare number as "trust nothing");
 * addresses/CIDRs go to Fastify (proxy-addr) as they are.
 *
 * @example
 * Fastify({ trustProxy: fastifyTrustProxy(config.trustProxy) })
 */
export function fastifyTrustProxy(trust: TrustProxy): FastifyServerOptions['trustProxy'] {
  if (trust === false || trust === 0) return false
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust
  return [...trust]
}
