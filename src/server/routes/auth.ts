/**
 * The user-facing routes: register, log in, who am I, log out (this session or all), and the
 * caller's sessions. JSON in and out; the token answers follow RFC 6749 §5.1.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TokenSet } from '../../sessions/sessions.js'
import { bearerChecker, claimsOf, requireBearer, type ServiceContext } from '../context.js'
import {
  clearSessionCookies,
  csrfFailure,
  originAllowed,
  readRefreshCookie,
  setSessionCookies,
  usesCookies,
} from '../cookies.js'
import { acceptJsonOnly } from '../form.js'
import { sendTooManyAttempts } from '../guessing/guard.js'
import { SerialByKey } from '../guessing/serial.js'
import { sendError, sendGrantError, sendHttpError } from '../http.js'
import { sessionJson } from '../../service/session-json.js'
import { normalizeUsername } from '../../service/users/directory.js'
import { checkPassword } from '../../service/users/password-policy.js'
import { identifyClient } from './oauth-common.js'

const USERNAME = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@+-]+$' }
// Lengths are checked by the password policy (in characters, with a clear message); the schema
// only bounds the work.
const PASSWORD = { type: 'string', minLength: 1, maxLength: 4096 }

/** Logins of one username this process runs or queues at once; more are refused with 429. */
const ATTEMPTS_PER_USERNAME = 8

const registerSchema = {
  body: {
    type: 'object',
    required: ['username', 'password'],
    additionalProperties: false,
    properties: { username: USERNAME, password: PASSWORD },
  },
}

const loginSchema = {
  body: {
    type: 'object',
    required: ['username', 'password'],
    additionalProperties: false,
    properties: {
      username: { type: 'string', minLength: 1, maxLength: 64 },
      password: { type: 'string', minLength: 1, maxLength: 4096 },
      client_id: { type: 'string', minLength: 1, maxLength: 128 },
      client_secret: { type: 'string', minLength: 1, maxLength: 512 },
    },
  },
}

// Logout takes no body, or a refresh token (a client that keeps it in memory or storage).
const logoutSchema = {
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 8192 } },
  },
}

const sessionParams = {
  params: {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
  },
}

interface Credentials {
  username: string
  password: string
  client_id?: string
  client_secret?: string
}

/** RFC 6749 §5.1; in cookie mode the refresh token goes into a cookie instead of the body. */
export function sendTokenSet(
  reply: FastifyReply,
  tokens: TokenSet,
  context: ServiceContext,
): FastifyReply {
  reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
  const body = {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    expires_in: tokens.expiresIn,
    ...(tokens.session.scope !== undefined && { scope: tokens.session.scope }),
  }
  if (usesCookies(reply.request, context.config)) {
    const csrf = setSessionCookies(reply, tokens.refreshToken, context.config)
    return reply.send({ ...body, csrf_token: csrf })
  }
  return reply.send({ ...body, refresh_token: tokens.refreshToken })
}

function device(request: FastifyRequest) {
  const userAgent = request.headers['user-agent']
  return {
    ip: request.ip,
    ...(typeof userAgent === 'string' && { userAgent: userAgent.slice(0, 512) }),
  }
}

/**
 * Cookie mode: a login in a browser that already holds a session ends that session, so one
 * browser never keeps two (the old one would live on, unseen, until it expired).
 */
async function endBrowserSession(request: FastifyRequest, context: ServiceContext): Promise<void> {
  const token = readRefreshCookie(request)
  if (token === undefined) return
  const session = await context.auth.inspectRefreshToken(token)
  if (session === undefined) return
  await context.auth.revokeSession(session.sid, {
    actor: session.sub,
    reason: 'replaced by a new login in the same browser',
  })
}

/**
 * After a successful login, stores a hash of today's scheme (an scrypt hash becomes Argon2id).
 * Best effort: a full hashing queue or a store error leaves the old hash, upgraded next time.
 */
async function upgradeHash(
  context: ServiceContext,
  username: string,
  password: string,
  stored: string,
): Promise<void> {
  if (!context.hasher.needsRehash(stored)) return
  try {
    await context.users.updatePasswordHash(username, await context.hasher.hash(password))
  } catch {
    // Kept as it was; the login itself has succeeded.
  }
}

export async function authRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const { auth, users, hasher, config } = context
  const guesses = context.guard
  const serial = new SerialByKey(ATTEMPTS_PER_USERNAME)
  acceptJsonOnly(app)
  const guard = requireBearer(context)
  const checkBearer = bearerChecker(context)
  const rateLimit = { max: config.loginRateLimit, timeWindow: 60_000 }

  app.post<{ Body: Credentials }>(
    '/auth/register',
    { schema: registerSchema, config: { rateLimit } },
    async (request, reply) => {
      const username = normalizeUsername(request.body.username)
      const weak = checkPassword(request.body.password, request.body.username)
      if (weak !== undefined) return sendError(reply, 400, 'invalid_password', weak)
      const passwordHash = await hasher.hash(request.body.password)
      const sub = randomUUID()
      const created = await users.create({ username, sub, passwordHash, createdAt: Date.now() })
      if (!created) return sendError(reply, 409, 'username_taken', 'the username is taken')
      return reply.code(201).send({ sub })
    },
  )

  app.post<{ Body: Credentials }>(
    '/auth/login',
    { schema: loginSchema, config: { rateLimit } },
    async (request, reply) => {
      if (
        usesCookies(request, config) &&
        request.headers.origin !== undefined &&
        !originAllowed(request, config)
      ) {
        return sendError(reply, 403, 'access_denied', 'the Origin is not allowed')
      }
      // A client_id is a registered public client, or a confidential one that authenticates:
      // never a name a user may stamp into their token.
      const client = await identifyClient(request, reply, request.body, context)
      if (client === undefined) return reply
      if (client.kind !== 'none' && !client.client.grantTypes.includes('refresh_token')) {
        return sendError(reply, 400, 'unauthorized_client', 'the client may not hold user sessions')
      }
      const username = normalizeUsername(request.body.username)
      // One attempt per username at a time, so each sees the failures counted before it.
      const attempt = await serial.run(username, async () => {
        // Locked pairs, accounts and addresses wait, known username or not, before any scrypt.
        const wait = await guesses.loginWait(username, request.ip)
        if (wait > 0) return { wait }
        const found = await users.find(username)
        // One scrypt whether or not the user exists: the answer time says nothing about it.
        const valid = await hasher.verify(request.body.password, found?.passwordHash)
        if (found === undefined || !valid) {
          await guesses.loginFailed(username, request.ip)
          return { user: undefined }
        }
        await guesses.loginSucceeded(username, request.ip)
        await upgradeHash(context, found.username, request.body.password, found.passwordHash)
        return { user: found }
      })
      if ('refused' in attempt) return sendTooManyAttempts(reply, 1)
      const { wait, user } = attempt.value
      if (wait !== undefined) return sendTooManyAttempts(reply, wait)
      if (user === undefined) {
        return sendError(reply, 401, 'invalid_grant', 'invalid username or password')
      }
      let tokens: TokenSet
      try {
        tokens = await auth.startSession({
          sub: user.sub,
          clientId: client.clientId,
          device: device(request),
        })
      } catch (error) {
        return sendGrantError(reply, error)
      }
      if (usesCookies(request, config)) await endBrowserSession(request, context)
      return sendTokenSet(reply, tokens, context)
    },
  )

  app.get('/auth/me', { preHandler: guard }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return claimsOf(request)
  })

  /**
   * Logout must work when the access token has expired or a reload dropped it: a refresh token
   * in the body, a valid bearer token, or (cookie mode, CSRF-checked) the refresh cookie, in
   * that order, each ends its session. Ending one that is already gone is still a 204.
   */
  app.post<{ Body: { refresh_token?: string } | null | undefined }>(
    '/auth/logout',
    { schema: logoutSchema },
    async (request, reply) => {
      const endByRefreshToken = async (token: string) => {
        await auth.revokeRefreshToken(token, { reason: 'logout' })
        if (usesCookies(request, config)) clearSessionCookies(reply)
        return reply.code(204).send()
      }
      const bodyToken = request.body?.refresh_token
      if (bodyToken !== undefined) return endByRefreshToken(bodyToken)

      const bearer = await checkBearer(request)
      if (bearer.kind === 'authenticated') {
        const { sid, sub } = bearer.claims
        await auth.revokeSession(sid, { actor: sub, reason: 'logout' })
        if (usesCookies(request, config)) clearSessionCookies(reply)
        return reply.code(204).send()
      }
      const cookie = usesCookies(request, config) ? readRefreshCookie(request) : undefined
      if (cookie !== undefined) {
        const failure = csrfFailure(request, config)
        if (failure !== undefined) return sendError(reply, 403, 'access_denied', failure)
        return endByRefreshToken(cookie)
      }
      if (bearer.kind === 'rejected') return sendHttpError(reply, bearer.response)
      return sendError(reply, 400, 'invalid_request', 'no token to log out with')
    },
  )

  app.post('/auth/logout-all', { preHandler: guard }, async (request, reply) => {
    const { sub } = claimsOf(request)
    await auth.revokeUser(sub, { actor: sub, reason: 'logout everywhere' })
    if (usesCookies(request, config)) clearSessionCookies(reply)
    return reply.code(204).send()
  })

  app.get('/auth/sessions', { preHandler: guard }, async (request, reply) => {
    const { sub, sid } = claimsOf(request)
    const sessions = await auth.listSessions(sub, { currentSid: sid })
    reply.header('cache-control', 'no-store')
    return { sessions: sessions.map(sessionJson) }
  })

  app.delete<{ Params: { id: string } }>(
    '/auth/sessions/:id',
    { preHandler: guard, schema: sessionParams },
    async (request, reply) => {
      const { sub } = claimsOf(request)
      const sessions = await auth.listSessions(sub)
      // Only the caller's own sessions; another user's id is indistinguishable from none.
      if (!sessions.some((session) => session.id === request.params.id)) {
        return sendError(reply, 404, 'not_found', 'no such session')
      }
      await auth.revokeSession(request.params.id, { actor: sub, reason: 'session ended by user' })
      return reply.code(204).send()
    },
  )
}
