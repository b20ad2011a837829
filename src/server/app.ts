/**
 * The HTTP service: a Fastify app over a Revocable, a user directory and a metrics registry.
 * Routes live one concern per file in routes/; this file wires them, the body parsers, logging
 * and the error handling.
 */
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import Fastify, {
  type FastifyInstance,
  type FastifyRequest,
  type LogController as FastifyLogController,
} from 'fastify'
import type { DestinationStream } from 'pino'
import { attachAudit } from './audit.js'
import type { ServerConfig } from '../service/config.js'
import type { ServiceContext } from './context.js'
import { MemoryGuessCounters } from '../service/guessing/counters.js'
import { GuessGuard } from './guessing/guard.js'
import { handleError, sendError } from './http.js'
import { ServiceMetrics } from './metrics.js'
import { redactQuery } from '../service/redact.js'
import { fastifyTrustProxy } from './trust-proxy.js'
import { trackRoutes, type RouteTable } from './method-not-allowed.js'
import { accountRoutes } from './routes/account.js'
import { adminRoutes } from './routes/admin.js'
import { adminUserRoutes } from './routes/admin-users.js'
import { authRoutes } from './routes/auth.js'
import { healthRoutes } from './routes/health.js'
import { introspectRoutes } from './routes/introspect.js'
import { jwksRoutes } from './routes/jwks.js'
import { metadataRoutes } from './routes/metadata.js'
import { metricsRoutes } from './routes/metrics.js'
import { revokeRoutes } from './routes/revoke.js'
import { tokenRoutes } from './routes/token.js'
import { registerCors } from './cors.js'
import { pageRoutes } from './pages/index.js'
import { openRuntime, type Runtime } from '../service/runtime.js'
import type { HashQueue } from '../service/users/hash-queue.js'
import { loadArgon2, PasswordHasher } from '../service/users/password.js'
import { attachWebhooks } from '../service/webhooks/notices.js'
import { WebhookSender, type WebhookSenderOptions } from '../service/webhooks/sender.js'
import { registerWebhookMetrics } from './webhook-metrics.js'

/** An already opened runtime to serve (tests, embedding). The app closes it when it closes. */
export interface AppDeps {
  readonly config: ServerConfig
  readonly runtime: Runtime
  /** Give the one whose `measureStore` wrapped the runtime's store, to see store latency. */
  readonly metrics?: ServiceMetrics
}

export interface BuildOptions {
  /** Where log lines go (default stdout). */
  readonly logStream?: DestinationStream
  /** ms since the epoch for the lockout counters (tests move it by hand); default Date.now. */
  readonly clock?: () => number
  /** The bound on password hashing (tests give a small one); default from the core count. */
  readonly hashQueue?: HashQueue
  /** Webhook delivery tuning (tests shorten the back-off); the URL and key come from the config. */
  readonly webhook?: Omit<WebhookSenderOptions, 'url' | 'key'>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every path the service serves and its methods (405 answers, tests). */
    routeTable: RouteTable
  }
}

/** Secrets that must never reach a log line, wherever they appear. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'authorization',
  'password',
  'token',
  'access_token',
  'refresh_token',
  'client_secret',
  '*.authorization',
  '*.password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
]

/**
 * Fastify's per-request lines ("incoming request", "request completed") on or off. They cost
 * ~65 µs per request; audit lines, warnings and errors stay (our error handler logs the 500s
 * itself). `LogController` is recent in Fastify 5 (the top-level option is deprecated there);
 * older 5.x only have the top-level option, and a named import would not even load on them.
 */
function requestLogging(accessLog: boolean) {
  const { LogController } = Fastify as unknown as {
    LogController?: typeof FastifyLogController
  }
  return LogController === undefined
    ? { disableRequestLogging: !accessLog }
    : { logController: new LogController({ disableRequestLogging: !accessLog }) }
}

function isDeps(input: ServerConfig | AppDeps): input is AppDeps {
  return 'runtime' in input
}

/**
 * Builds the service (not listening yet): give a configuration to open its store, or the
 * already opened pieces.
 *
 * @example
 * const app = await buildApp(loadConfig({ STORE: 'memory' }))
 * await app.listen({ port: 3000 })
 */
export async function buildApp(
  input: ServerConfig | AppDeps,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const config = isDeps(input) ? input.config : input
  const metrics = (isDeps(input) ? input.metrics : undefined) ?? new ServiceMetrics()
  // Store warnings (Redis errors, eviction policy) go to the app's log once it exists.
  let log: FastifyInstance['log'] | undefined
  const warn = (message: string) => (log === undefined ? console.warn(message) : log.warn(message))
  const runtime = isDeps(input)
    ? input.runtime
    : await openRuntime(config, { wrapStore: (store) => metrics.measureStore(store), warn })

  const logger = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Fastify's own request serializer, with the query values taken out of the URL.
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactQuery(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
    ...(options.logStream !== undefined && { stream: options.logStream }),
  }
  const app = Fastify({
    logger,
    bodyLimit: config.bodyLimit,
    ...requestLogging(config.accessLog),
    trustProxy: fastifyTrustProxy(config.trustProxy),
    return503OnClosing: true,
    // A bad percent-encoding or an over-long path parameter: Fastify's own answers echo the
    // path; ours are the service's usual JSON with a fixed description.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
    ajv: {
      // Reject rather than strip unknown fields, and never turn 123 into "123".
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
  })
  log = app.log
  log = app.log
  // Once closing, every answer still in flight also closes its connection: a keep-alive
  // connection would otherwise hold the shutdown until its idle timeout.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  const webhooks =
    config.webhook === undefined
      ? undefined
      : new WebhookSender({
          warn: (message) => app.log.warn(message),
          ...options.webhook,
          ...config.webhook,
        })
  // Notices already queued get a short grace before the store closes under them.
  app.addHook('onClose', async () => {
    await webhooks?.close()
    await runtime.close()
  })
  app.setErrorHandler(handleError)
  const routeTable = trackRoutes(app)
  app.decorate('routeTable', routeTable)
  app.setNotFoundHandler((request, reply) => {
    const allowed = routeTable.allowed(request.url.split('?')[0] ?? '')
    if (allowed.length === 0) return sendError(reply, 404, 'not_found', 'no such route')
    return sendError(reply, 405, 'invalid_request', 'method not allowed', {
      allow: allowed.join(', '),
    })
  })

  const context: ServiceContext = {
    config,
    auth: runtime.auth,
    users: runtime.users,
    hasher: new PasswordHasher({
      scryptLogN: config.scryptLogN,
      argon2: config.passwordHash === 'argon2id' ? await loadArgon2() : undefined,
      ...(options.hashQueue !== undefined && { queue: options.hashQueue }),
    }),
    metrics,
    guard: new GuessGuard(
      runtime.guesses ?? new MemoryGuessCounters(),
      config.lockout,
      options.clock,
    ),
    webhooks,
  }
  if (config.passwordHash !== context.hasher.scheme) {
    app.log.warn('@node-rs/argon2 is not installed: new password hashes use scrypt')
  }
  metrics.attach(runtime.auth)
  attachAudit(runtime.auth, app.log)
  if (webhooks !== undefined) {
    attachWebhooks(runtime.auth, webhooks)
    registerWebhookMetrics(metrics.registry, webhooks)
  }

  registerCors(app, config)
  await app.register(cookie)
  // On Redis every instance counts against one limit; elsewhere (one process) in memory.
  await app.register(rateLimit, {
    global: false,
    ...(runtime.rateLimitStore === undefined ? {} : { store: runtime.rateLimitStore }),
  })
  for (const routes of [
    metadataRoutes,
    jwksRoutes,
    authRoutes,
    accountRoutes,
    tokenRoutes,
    revokeRoutes,
    introspectRoutes,
    adminRoutes,
    adminUserRoutes,
    healthRoutes,
    metricsRoutes,
    // Last: the pages show the controls of the routes registered before them.
    pageRoutes,
  ]) {
    // Each in its own encapsulated scope: the body parsers of one never reach another.
    await app.register(async (scope) => routes(scope, context))
  }
  return app
}
