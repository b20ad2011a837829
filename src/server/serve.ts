/**
 * Runs the service: build, listen, and shut down gracefully on SIGTERM or SIGINT (stop
 * accepting, let in-flight requests finish, close the store).
 */
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from './app.js'
import { describeStore, type ServerConfig } from '../service/config.js'

const SHUTDOWN_GRACE_MS = 10_000

/**
 * One line that says what this instance runs with, so a wrong store or issuer shows at once.
 *
 * @example
 * startupSummary(config, 'http://127.0.0.1:3000')
 * // 'revocable serving http://127.0.0.1:3000: store sqlite:/srv/data/revocable.db, issuer …'
 */
export function startupSummary(config: ServerConfig, address: string): string {
  return [
    `revocable serving ${address}: store ${describeStore(config.store)}`,
    `issuer ${config.issuer}`,
    `admin API ${config.adminToken === undefined ? 'off' : 'on'}`,
    `cookie mode ${config.cookieMode ? `on (origins ${config.allowedOrigins.join(' ')})` : 'off'}`,
  ].join(', ')
}

/** Starts listening; resolves to the app and the address it listens on. */
export async function serve(
  config: ServerConfig,
  options: BuildOptions = {},
): Promise<{ app: FastifyInstance; address: string }> {
  const app = await buildApp(config, options)
  let address: string
  try {
    address = await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await app.close()
    throw error
  }
  app.log.info(startupSummary(config, address))
  // The issuer is the public address; with PORT=0 it names port 0, so the real one is shown.
  app.log.info(`pages: open ${config.port === 0 ? address : config.issuer}/ in a browser`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down')
    // Requests get this long to finish; then their connections are cut.
    setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref()
    app.close().then(
      () => {
        app.log.info('stopped')
        process.exitCode = 0
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed')
        process.exitCode = 1
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  return { app, address }
}
