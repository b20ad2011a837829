/**
 * Starts the service on a real socket (port 0) for a test and talks to it over HTTP with fetch.
 */
import type { FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import { buildApp, type AppDeps } from '../../src/server/app.js'
import { loadConfig, type ServerConfig } from '../../src/service/config.js'

export const CLIENT_ID = 'resource-server'
export const CLIENT_SECRET = 'resource-server-secret-0123456789'
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef'
export const ISSUER = 'http://auth.test'
/** Registered public clients (no secret). */
export const PUBLIC_CLIENT_ID = 'web-app'
export const SPA_CLIENT_ID = 'spa'
/** Seals the generated keys a service keeps in Redis (the service refuses plaintext there). */
export const KEY_ENCRYPTION_KEY = 'q3xC6T1mOu2qJ1c2l9p2l7m1Yd3w0m9vW4i8Gf5bZ0E'

/** Test defaults: memory store, quiet, cheap scrypt, no practical rate limit. */
export function testConfig(env: Record<string, string> = {}): ServerConfig {
  return loadConfig({
    STORE: 'memory',
    PORT: '0',
    HOST: '127.0.0.1',
    ISSUER,
    LOG_LEVEL: 'silent',
    SCRYPT_LOG_N: '10',
    // Cheap hashes for the many tests that log in; Argon2id has its own tests.
    PASSWORD_HASH: 'scrypt',
    LOGIN_RATE_LIMIT: '10000',
    CLIENTS: JSON.stringify([
      {
        id: CLIENT_ID,
        secret: CLIENT_SECRET,
        resource_server: true,
        scopes: ['introspect', 'metrics', 'read'],
      },
      { id: PUBLIC_CLIENT_ID, public: true },
      { id: SPA_CLIENT_ID, public: true },
    ]),
    ADMIN_TOKEN,
    KEY_ENCRYPTION_KEY,
    ...env,
  })
}

export interface Service {
  readonly url: string
  readonly app: FastifyInstance
  readonly config: ServerConfig
  close(): Promise<void>
}

/** Builds the app from env overrides (or ready deps) and listens on a free port. */
export async function startService(
  input: Record<string, string> | AppDeps = {},
  logStream?: DestinationStream,
): Promise<Service> {
  const deps = 'runtime' in input ? (input as AppDeps) : undefined
  const config = deps?.config ?? testConfig(input as Record<string, string>)
  const app = await buildApp(deps ?? config, logStream === undefined ? {} : { logStream })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    config,
    close: () => app.close(),
  }
}

/** A free TCP port (for a server whose issuer URL must name its own port). */
export { freePort } from '../support/redis-server.js'

export function postJson(
  service: { url: string },
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(service.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

export function postForm(
  service: { url: string },
  path: string,
  params: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(service.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  })
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

export function basic(id: string, secret: string): Record<string, string> {
  const encode = (text: string) => encodeURIComponent(text)
  return {
    authorization: `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`,
  }
}

export const clientBasic = () => basic(CLIENT_ID, CLIENT_SECRET)

export interface Tokens {
  access_token: string
  refresh_token: string
  token_type: string
  expires_in: number
}

let counter = 0
/** A fresh username per call, so tests sharing a service never collide. */
export function uniqueName(prefix = 'user'): string {
  counter += 1
  return `${prefix}${counter}-${process.pid}`
}

export const PASSWORD = 'correct horse battery staple'

/** Registers a new user and logs in; returns its sub and tokens. */
export async function signUp(
  service: { url: string },
  username = uniqueName(),
): Promise<{ sub: string; username: string; tokens: Tokens }> {
  const registered = await postJson(service, '/auth/register', { username, password: PASSWORD })
  if (registered.status !== 201) throw new Error(`register: ${registered.status}`)
  const { sub } = (await registered.json()) as { sub: string }
  const tokens = await logIn(service, username)
  return { sub, username, tokens }
}

export async function logIn(service: { url: string }, username: string): Promise<Tokens> {
  const response = await postJson(service, '/auth/login', { username, password: PASSWORD })
  if (response.status !== 200) throw new Error(`login: ${response.status}`)
  return (await response.json()) as Tokens
}

export async function me(service: { url: string }, token: string): Promise<Response> {
  return fetch(`${service.url}/auth/me`, { headers: bearer(token) })
}
