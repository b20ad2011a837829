/**
 * A wrong method on a known path is a 405 with `Allow` (RFC 9110 §15.5.6), not a 404: the
 * service records every route as it is added and its not-found handler asks this table which
 * methods the path does have.
 */
import type { FastifyInstance } from 'fastify'

interface KnownPath {
  readonly url: string
  readonly pattern: RegExp
  readonly methods: Set<string>
}

/** The paths the service serves and the methods each takes. */
export class RouteTable {
  readonly #paths = new Map<string, KnownPath>()

  /** Records `methods` on `url` (a Fastify path: `/auth/sessions/:id`). */
  add(url: string, methods: readonly string[]): void {
    let known = this.#paths.get(url)
    if (known === undefined) {
      known = { url, pattern: patternOf(url), methods: new Set() }
      this.#paths.set(url, known)
    }
    for (const method of methods) known.methods.add(method.toUpperCase())
    // Fastify answers HEAD wherever it answers GET.
    if (known.methods.has('GET')) known.methods.add('HEAD')
  }

  /** The methods `path` (a request path, without the query) takes; empty for an unknown path. */
  allowed(path: string): string[] {
    const methods = new Set<string>()
    for (const known of this.#paths.values()) {
      if (known.pattern.test(path)) for (const method of known.methods) methods.add(method)
    }
    return [...methods].sort()
  }

  /** Every path and its methods (sorted), for tests and docs. */
  list(): Array<{ url: string; methods: string[] }> {
    return [...this.#paths.values()].map(({ url, methods }) => ({
      url,
      methods: [...methods].sort(),
    }))
  }
}

// `/admin/users/:sub/revoke` -> /^\/admin\/users\/[^/]+\/revoke$/
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
  return new RegExp(`^${source}$`)
}

/**
 * Records every route added to `app` from now on (child scopes included).
 *
 * @example
 * const routes = trackRoutes(app)
 * // ... register routes ...
 * routes.allowed('/oauth/token') // ['POST']
 */
export function trackRoutes(app: FastifyInstance): RouteTable {
  const table = new RouteTable()
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    table.add(route.url, methods as string[])
  })
  return table
}
