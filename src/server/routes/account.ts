/**
 * The account routes of issue 15, each behind the caller's access token: re-enter the password
 * (a fresh `auth_time` for this session), change it (every other session ends), delete the
 * account. Each is a short list of named steps; the library decides sessions and tokens, the
 * user directory holds the password and the username.
 *
 * The access token is checked on `onRequest`, before the body is even parsed: a bad token is a
 * 401 whatever the body, as on every other bearer route. A password entered here is counted by
 * the login lockout of that username and address, so a stolen access token is no way around it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { readBearerHeader } from '../../adapters/bearer.js'
import { claimsOf, requireBearer, verifyCounted, type ServiceContext } from '../context.js'
import { clearSessionCookies, originAllowed, usesCookies } from '../cookies.js'
import { acceptJsonOnly } from '../form.js'
import { sendTooManyAttempts } from '../guessing/guard.js'
import { SerialByKey } from '../guessing/serial.js'
import { sendError, sendGrantError } from '../http.js'
import type { UserRecord } from '../../service/users/directory.js'
import { forgetUser } from '../../service/users/lifecycle.js'
import { checkPassword } from '../../service/users/password-policy.js'
import { notify } from '../../service/webhooks/notices.js'
import { sendTokenSet } from './auth.js'

const PASSWORD = { type: 'string', minLength: 1, maxLength: 4096 }

/** Password checks of one username this process runs or queues at once; more get 429. */
const ATTEMPTS_PER_USERNAME = 8

const passwordBody = {
  body: {
    type: 'object',
    required: ['password'],
    additionalProperties: false,
    properties: { password: PASSWORD },
  },
}

const changeBody = {
  body: {
    type: 'object',
    required: ['new_password'],
    additionalProperties: false,
    properties: { current_password: PASSWORD, new_password: PASSWORD },
  },
}

type Confirmation = 'ok' | 'wrong' | { wait: number }

export async function accountRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const { auth, users, hasher, config, guard: guesses } = context
  const serial = new SerialByKey(ATTEMPTS_PER_USERNAME)
  acceptJsonOnly(app)
  const bearer = requireBearer(context)

  // Cookie mode: these answers set the session cookies, so a page of another origin may not
  // call them (the access token already proves the caller; this is the login route's rule).
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    if (usesCookies(request, config) && request.headers.origin !== undefined) {
      if (!originAllowed(request, config)) {
        return sendError(reply, 403, 'access_denied', 'the Origin is not allowed')
      }
    }
    return bearer(request, reply)
  }

  /** The caller's user record; undefined (and the answer sent) when the directory has none. */
  async function caller(request: FastifyRequest, reply: FastifyReply) {
    const user = await users.findBySub(claimsOf(request).sub)
    if (user === undefined) await sendError(reply, 404, 'not_found', 'no such user')
    return user
  }

  /** Checks `password` for `user` under the login lockout, one attempt at a time per username. */
  async function confirm(user: UserRecord, password: string, ip: string): Promise<Confirmation> {
    const outcome = await serial.run(user.username, async (): Promise<Confirmation> => {
      const wait = await guesses.loginWait(user.username, ip)
      if (wait > 0) return { wait }
      if (!(await hasher.verify(password, user.passwordHash))) {
        await guesses.loginFailed(user.username, ip)
        return 'wrong'
      }
      await guesses.loginSucceeded(user.username, ip)
      return 'ok'
    })
    return 'refused' in outcome ? { wait: 1 } : outcome.value
  }

  /** Sends the refusal for anything but 'ok'; true when the password was right. */
  async function confirmed(
    reply: FastifyReply,
    user: UserRecord,
    password: string,
    ip: string,
  ): Promise<boolean> {
    const outcome = await confirm(user, password, ip)
    if (outcome === 'ok') return true
    if (outcome === 'wrong') {
      await sendError(reply, 403, 'access_denied', 'the password is incorrect')
    } else {
      await sendTooManyAttempts(reply, outcome.wait)
    }
    return false
  }

  app.post<{ Body: { password: string } }>(
    '/auth/reauthenticate',
    { onRequest, schema: passwordBody },
    async (request, reply) => {
      const { sub, sid } = claimsOf(request)
      const user = await caller(request, reply)
      if (user === undefined) return reply
      if (!(await confirmed(reply, user, request.body.password, request.ip))) return reply
      try {
        const tokens = await auth.reauthenticate(sid, {
          actor: sub,
          reason: 'password re-entered',
        })
        return sendTokenSet(reply, tokens, context)
      } catch (error) {
        return sendGrantError(reply, error)
      }
    },
  )

  app.post<{ Body: { current_password?: string; new_password: string } }>(
    '/auth/password',
    { onRequest, schema: changeBody },
    async (request, reply) => {
      const { sub, sid } = claimsOf(request)
      const { current_password: current, new_password: next } = request.body
      // 1. Recent enough, or the current password: without it the library's own step-up rule
      //    decides, and its refusal is RFC 9470's challenge (401, max_age).
      if (current === undefined) {
        const token = readBearerHeader(request.headers.authorization)
        if (token.kind !== 'token') throw new Error('the bearer guard let a request through')
        await verifyCounted(context, token.token, { maxAuthAge: config.stepUpMaxAge })
      }
      const user = await caller(request, reply)
      if (user === undefined) return reply
      if (current !== undefined && !(await confirmed(reply, user, current, request.ip))) {
        return reply
      }
      // 2. The new password follows the registration policy.
      const weak = checkPassword(next, user.username)
      if (weak !== undefined) return sendError(reply, 400, 'invalid_password', weak)
      // 3. Store it, then end every other session. (A login that checked the old password just
      //    before the store and starts its session after the sweep survives it: a window of one
      //    password hash, for someone who already knew the old password.)
      await users.updatePasswordHash(user.username, await hasher.hash(next), user.sub)
      const audit = { actor: sub, reason: 'password changed' }
      const ended = await auth.endOtherSessions(sub, sid, audit)
      // 4. This session goes on, with a fresh authentication and a new refresh token.
      let tokens
      try {
        tokens = await auth.reauthenticate(sid, audit)
      } catch (error) {
        return sendGrantError(reply, error)
      }
      notify(context.webhooks, 'user.password_changed', {
        sub,
        sid,
        sessions_ended: ended,
        ip: request.ip,
        at: new Date().toISOString(),
      })
      return sendTokenSet(reply, tokens, context)
    },
  )

  app.delete<{ Body: { password: string } }>(
    '/auth/account',
    { onRequest, schema: passwordBody },
    async (request, reply) => {
      const { sub } = claimsOf(request)
      const user = await caller(request, reply)
      if (user === undefined) return reply
      if (!(await confirmed(reply, user, request.body.password, request.ip))) return reply
      await deleteAccount(context, user, { actor: sub, reason: 'account deleted by its user' })
      if (usesCookies(request, config)) clearSessionCookies(reply)
      return reply.code(204).send()
    },
  )
}

/** Forgets a user (library, then directory) and its login counters, so the name starts clean. */
export async function deleteAccount(
  context: ServiceContext,
  user: UserRecord,
  audit: { actor: string; reason: string },
): Promise<void> {
  await forgetUser(context, user, audit)
  await context.guard.clearLogin(user.username)
}
