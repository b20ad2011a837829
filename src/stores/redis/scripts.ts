import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { RedisConnection } from './connection.js'

/**
 * A Lua script run by EVALSHA, falling back to EVAL (which also caches it on the server) when
 * the server answers NOSCRIPT: after a restart, a failover, or on a node that never saw it.
 */
export class LuaScript {
  readonly source: string
  readonly sha: string

  constructor(name: string) {
    this.source = readFileSync(new URL(`./scripts/${name}.lua`, import.meta.url), 'utf8')
    this.sha = createHash('sha1').update(this.source).digest('hex')
  }

  async run(redis: RedisConnection, keys: string[], args: (string | number)[]): Promise<unknown> {
    const options = { keys, arguments: args.map(String) }
    try {
      return await redis.evalSha(this.sha, options)
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      return redis.eval(this.source, options)
    }
  }
}

export const SCRIPTS = {
  setMarker: new LuaScript('set-marker'),
  setCutoff: new LuaScript('set-cutoff'),
  endSession: new LuaScript('end-session'),
  revokeUser: new LuaScript('revoke-user'),
  createSession: new LuaScript('create-session'),
  swapSession: new LuaScript('swap-session'),
  forgetSessions: new LuaScript('forget-sessions'),
  takeKey: new LuaScript('take-key'),
  noteOwned: new LuaScript('note-owned'),
  time: new LuaScript('time'),
  acknowledgeFeed: new LuaScript('acknowledge-feed'),
  replicasBehind: new LuaScript('replicas-behind'),
  indexRevocation: new LuaScript('index-revocation'),
}
