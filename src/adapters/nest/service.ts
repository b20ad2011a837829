import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common'
import type { Revocable } from '../../revocable.js'
import { REVOCABLE_HOLDER, type RevocableHolder } from './tokens.js'

/**
 * The library's verbs as an injectable service. Each method is the `Revocable` method of the
 * same name; `auth` is the instance itself for anything else.
 *
 * @example
 * constructor(@Inject(RevocableService) private readonly revocable: RevocableService) {}
 * await this.revocable.revokeSession(claims.sid)
 */
@Injectable()
export class RevocableService implements OnApplicationShutdown {
  readonly #holder: RevocableHolder

  constructor(@Inject(REVOCABLE_HOLDER) holder: RevocableHolder) {
    this.#holder = holder
  }

  /** The `Revocable` instance. */
  get auth(): Revocable {
    return this.#holder.auth
  }

  issue(...args: Parameters<Revocable['issue']>): ReturnType<Revocable['issue']> {
    return this.auth.issue(...args)
  }
  verify(...args: Parameters<Revocable['verify']>): ReturnType<Revocable['verify']> {
    return this.auth.verify(...args)
  }
  revokeToken(...args: Parameters<Revocable['revokeToken']>): ReturnType<Revocable['revokeToken']> {
    return this.auth.revokeToken(...args)
  }
  revokeSession(
    ...args: Parameters<Revocable['revokeSession']>
  ): ReturnType<Revocable['revokeSession']> {
    return this.auth.revokeSession(...args)
  }
  endSession(...args: Parameters<Revocable['endSession']>): ReturnType<Revocable['endSession']> {
    return this.auth.endSession(...args)
  }
  revokeUser(...args: Parameters<Revocable['revokeUser']>): ReturnType<Revocable['revokeUser']> {
    return this.auth.revokeUser(...args)
  }
  revokeAll(...args: Parameters<Revocable['revokeAll']>): ReturnType<Revocable['revokeAll']> {
    return this.auth.revokeAll(...args)
  }
  startSession(
    ...args: Parameters<Revocable['startSession']>
  ): ReturnType<Revocable['startSession']> {
    return this.auth.startSession(...args)
  }
  refresh(...args: Parameters<Revocable['refresh']>): ReturnType<Revocable['refresh']> {
    return this.auth.refresh(...args)
  }
  listSessions(
    ...args: Parameters<Revocable['listSessions']>
  ): ReturnType<Revocable['listSessions']> {
    return this.auth.listSessions(...args)
  }
  endOtherSessions(
    ...args: Parameters<Revocable['endOtherSessions']>
  ): ReturnType<Revocable['endOtherSessions']> {
    return this.auth.endOtherSessions(...args)
  }
  isRevoked(...args: Parameters<Revocable['isRevoked']>): ReturnType<Revocable['isRevoked']> {
    return this.auth.isRevoked(...args)
  }
  jwks(): ReturnType<Revocable['jwks']> {
    return this.auth.jwks()
  }
  rotateKeys(): ReturnType<Revocable['rotateKeys']> {
    return this.auth.rotateKeys()
  }
  retireKey(...args: Parameters<Revocable['retireKey']>): ReturnType<Revocable['retireKey']> {
    return this.auth.retireKey(...args)
  }

  /** Closes the instance when the module made it (from options); one given to it is left open. */
  async onApplicationShutdown(): Promise<void> {
    if (this.#holder.owned) await this.#holder.auth.close()
  }
}
