import { TokenExpired } from '../errors.js'
import type { AuditContext, RevocableEvents } from '../events.js'
import type { ResolvedOptions } from '../options.js'
import type { Store } from '../stores/store.js'
import { awaitReplicas } from './await-replicas.js'
import type { Revoker } from './revoker.js'
import type { Verifier } from './verifier.js'

export interface RevokeOptions extends AuditContext {
  /**
   * Resolve only once every live replica on the store applies the revocation (at most
   * maxStaleness later), so no instance accepts the token after this call resolves. Default:
   * the `awaitReplicas` option.
   */
  awaitReplicas?: boolean
}

export interface RevokeUserOptions extends RevokeOptions {
  /** Revoke tokens issued at or before this instant (a Date or ms). Default: now. */
  before?: Date | number
}

type Emit = <K extends keyof RevocableEvents>(name: K, ...args: RevocableEvents[K]) => void

export interface RevocationsDeps {
  readonly store: Store
  readonly options: Pick<ResolvedOptions, 'clock' | 'awaitReplicas' | 'maxStaleness'>
  readonly revoker: Revoker
  readonly verifier: Verifier
  readonly emit: Emit
}

/**
 * The revoke verbs behind `Revocable` (token, session, user, all): write through the revoker,
 * emit the events, and wait for the replicas when asked. Arguments arrive checked.
 */
export class Revocations {
  readonly #deps: RevocationsDeps

  constructor(deps: RevocationsDeps) {
    this.#deps = deps
  }

  async token(tokenOrJti: string, context: AuditContext, wait: RevokeOptions | undefined) {
    const { revoker, verifier, options, emit } = this.#deps
    let jti = tokenOrJti
    let exp: number | undefined
    let sub: string | undefined
    if (tokenOrJti.includes('.')) {
      try {
        ;({ jti, exp, sub } = (await verifier.verifyIgnoringRevocation(tokenOrJti)).claims)
      } catch (error) {
        if (error instanceof TokenExpired) return
        throw error
      }
    }
    await revoker.revokeJti(jti, exp)
    emit('token.revoked', { kind: 'token', jti, sub, at: options.clock(), ...context })
    await this.awaitReplicas(wait)
  }

  async session(sid: string, context: AuditContext, wait: RevokeOptions | undefined) {
    const { revoker, options, emit } = this.#deps
    const ended = await revoker.revokeSession(sid)
    const at = options.clock()
    emit('token.revoked', { kind: 'session', sid, sub: ended?.sub, at, ...context })
    if (ended !== undefined) {
      emit('session.ended', { sid, sub: ended.sub, cause: 'revoked', at, ...context })
    }
    await this.awaitReplicas(wait)
  }

  async user(sub: string, request: RevokeUserOptions, context: AuditContext): Promise<void> {
    const { revoker, options, emit } = this.#deps
    const now = options.clock()
    const before =
      request.before instanceof Date
        ? request.before.getTime()
        : (request.before ?? revoker.nextUserCutoff(sub))
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      throw new TypeError('"before" must be a Date or a number of milliseconds')
    }
    if (request.before !== undefined && before > now) {
      throw new TypeError('"before" must not lie in the future')
    }
    // "Log out everywhere" (no `before`) ends every session that exists, whatever clock stamped it.
    const ended = await revoker.revokeUser(sub, before, request.before === undefined)
    emit('token.revoked', { kind: 'user', sub, cutoff: before, at: now, ...context })
    for (const session of ended) {
      emit('session.ended', { sid: session.sid, sub, cause: 'user-revoked', at: now, ...context })
    }
    await this.awaitReplicas(request)
  }

  async all(context: AuditContext, wait: RevokeOptions | undefined): Promise<void> {
    const cutoff = await this.#deps.revoker.revokeAll()
    this.#deps.emit('token.revoked', { kind: 'global', cutoff, at: cutoff, ...context })
    await this.awaitReplicas(wait)
  }

  /**
   * With `awaitReplicas` (the call's, else the option), waits until every live replica on the
   * store has applied what this instance wrote, at most maxStaleness (see awaitReplicas).
   */
  async awaitReplicas(request: RevokeOptions | undefined): Promise<void> {
    const { store, options } = this.#deps
    if (!(request?.awaitReplicas ?? options.awaitReplicas)) return
    await awaitReplicas(store, { maxStalenessMs: options.maxStaleness * 1000 })
  }
}
