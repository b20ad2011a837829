/**
 * The fault scenarios, shared by the fault suite (test/integration/faults.test.ts) and
 * `npm run bench -- --faults`: each starts its own `redis-server` (killed, paused, restarted or
 * rolled back by PID), drives a real Revocable on a RedisStore through the fault, and reports
 * what a user would count: acknowledged revocations lost, revoked tokens accepted, sessions
 * lost to a false reuse verdict, and how long until the service worked again.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createRevocable, type Revocable, type RevocableOptions } from '../../src/index.js'
import { RedisStore, type RedisStoreOptions } from '../../src/stores/redis/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from './auth.js'
import { RedisCluster } from './redis-cluster.js'
import { rawCommand, RedisProcess } from './redis-server.js'

export interface FaultFigures {
  readonly scenario: string
  /** Revocations acknowledged before the fault whose token verifies as valid once it is over. */
  readonly acknowledgedLost: number
  /** Verifies of a revoked token that answered valid, at any time during or after the fault. */
  readonly revokedAccepted: number
  /** Sessions whose refresh was answered ERR_REFRESH_TOKEN_REUSED although nobody reused it. */
  readonly falseReuse: number
  /** Milliseconds from the end of the fault until a fresh login verifies again (-1: never). */
  readonly recoverMs: number
  /** Warnings the store printed (for failure messages). */
  readonly warnings: readonly string[]
}

const VOLATILE_ARGS = ['--appendonly', 'no', '--save', '']

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Instance {
  auth: Revocable
  store: RedisStore
  warnings: string[]
  close(): Promise<void>
}

async function openInstance(
  url: string,
  prefix: string,
  options: Partial<RevocableOptions> = {},
  storeOptions: Partial<RedisStoreOptions> = {},
): Promise<Instance> {
  const warnings: string[] = []
  const store = await RedisStore.connect({
    url,
    prefix,
    warn: (message) => warnings.push(message),
    ...storeOptions,
  })
  try {
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ secret: HMAC_SECRET, kid: 'faults' }],
      store,
      ...options,
    })
    return {
      auth,
      store,
      warnings,
      close: async () => {
        await auth.close().catch(() => undefined)
        await store.close().catch(() => undefined)
      },
    }
  } catch (error) {
    await store.close().catch(() => undefined)
    throw error
  }
}

const newPrefix = () => `rvk-fault:${randomBytes(6).toString('hex')}:`

/** Access tokens denied each of the three ways (a token, a session, a user). */
async function revokeSome(auth: Revocable, count: number, tag: string): Promise<string[]> {
  const revoked: string[] = []
  for (let i = 0; i < count; i += 1) {
    const kind = i % 3
    const sub = `${tag}-${i}`
    if (kind === 0) {
      const token = await auth.issue({ sub })
      await auth.revokeToken(token)
      revoked.push(token)
    } else if (kind === 1) {
      const { accessToken, session } = await auth.startSession({ sub })
      await auth.revokeSession(session.id)
      revoked.push(accessToken)
    } else {
      const { accessToken } = await auth.startSession({ sub })
      await auth.revokeUser(sub)
      revoked.push(accessToken)
    }
  }
  return revoked
}

async function countValid(auth: Revocable, tokens: readonly string[]): Promise<number> {
  const verdicts = await Promise.all(
    tokens.map((token) =>
      auth.verify(token).then(
        () => true,
        () => false,
      ),
    ),
  )
  return verdicts.filter(Boolean).length
}

/**
 * Hammers the revoked tokens from the moment Redis is back until `watchMs` have passed, and
 * probes with a fresh login until one verifies (the service works again).
 */
async function watchRecovery(
  auth: Revocable,
  revoked: readonly string[],
  watchMs: number,
): Promise<{ accepted: number; recoverMs: number }> {
  const started = performance.now()
  let accepted = 0
  let recoverMs = -1
  while (performance.now() - started < watchMs) {
    accepted += await countValid(auth, revoked)
    if (recoverMs < 0) {
      const fresh = await auth.issue({ sub: 'probe' }).catch(() => undefined)
      if (fresh !== undefined && (await countValid(auth, [fresh])) === 1) {
        recoverMs = Math.round(performance.now() - started)
      }
    }
    await sleep(10)
  }
  return { accepted, recoverMs }
}

/**
 * Redis (no persistence) goes away for `outageMs` and comes back empty, while one instance keeps
 * verifying tokens revoked before the outage.
 */
export async function emptyRestart(
  outageMs: number,
  storeOptions: Partial<RedisStoreOptions> = {},
): Promise<FaultFigures> {
  const redis = await RedisProcess.start({ name: 'revocable-fault-empty', args: VOLATILE_ARGS })
  let instance: Instance | undefined
  try {
    instance = await openInstance(redis.url, newPrefix(), {}, storeOptions)
    const revoked = await revokeSome(instance.auth, 30, 'empty')
    if ((await countValid(instance.auth, revoked)) !== 0)
      throw new Error('revocations not in force')
    await redis.stop()
    await sleep(outageMs)
    await redis.start()
    const { accepted, recoverMs } = await watchRecovery(instance.auth, revoked, 3000)
    return {
      scenario: `empty restart after a ${outageMs / 1000} s outage`,
      acknowledgedLost: await countValid(instance.auth, revoked),
      revokedAccepted: accepted,
      falseReuse: 0,
      recoverMs,
      warnings: instance.warnings,
    }
  } finally {
    await instance?.close()
    await redis.destroy()
  }
}

/**
 * Redis is restarted from an RDB snapshot older than its last writes: the revocations made after
 * the snapshot are gone, and with them the stream entries that announced them.
 */
export async function olderSnapshot(): Promise<FaultFigures> {
  const redis = await RedisProcess.start({ name: 'revocable-fault-rdb', args: VOLATILE_ARGS })
  let instance: Instance | undefined
  try {
    instance = await openInstance(redis.url, newPrefix())
    const before = await revokeSome(instance.auth, 6, 'before')
    const saved = await rawCommand(redis.port, ['SAVE'], 5000)
    if (saved !== '+OK') throw new Error(`SAVE answered ${saved}`)
    const after = await revokeSome(instance.auth, 21, 'after')
    const revoked = [...before, ...after]
    if ((await countValid(instance.auth, revoked)) !== 0)
      throw new Error('revocations not in force')
    await redis.kill9()
    await redis.start() // loads the snapshot: the later revocations are gone
    const { accepted, recoverMs } = await watchRecovery(instance.auth, revoked, 3000)
    return {
      scenario: 'restart from an older snapshot',
      acknowledgedLost: await countValid(instance.auth, revoked),
      revokedAccepted: accepted,
      falseReuse: 0,
      recoverMs,
      warnings: instance.warnings,
    }
  } finally {
    await instance?.close()
    await redis.destroy()
  }
}

/** The outcome of one client's refresh, retried as a 503 invites. */
type RefreshOutcome = 'ok' | 'reused' | 'other'

/**
 * A client that refreshes in a loop and, on ERR_STORE_UNAVAILABLE (a 503), retries the same
 * token (its answer was lost: the rotation may or may not have committed).
 */
async function refreshClient(
  auth: Revocable,
  token: string,
  until: () => boolean,
  maxRefreshes = Infinity,
): Promise<{ outcome: RefreshOutcome; token: string }> {
  let current = token
  let refreshes = 0
  const deadline = performance.now() + 30_000
  while (!until() && refreshes < maxRefreshes && performance.now() < deadline) {
    try {
      current = (await auth.refresh(current)).refreshToken
      refreshes += 1
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === 'ERR_REFRESH_TOKEN_REUSED') return { outcome: 'reused', token: current }
      if (code !== 'ERR_STORE_UNAVAILABLE') return { outcome: 'other', token: current }
      await sleep(20)
    }
  }
  return { outcome: 'ok', token: current }
}

/**
 * Ten SIGSTOP stalls of 400 ms under a refresh load of 24 clients that retry after a 503. Also
 * checks that tokens revoked before the stalls stay revoked.
 */
export async function stallsUnderRefreshLoad(
  options: { stalls?: number; clients?: number } = {},
): Promise<FaultFigures> {
  const stalls = options.stalls ?? 10
  const clients = options.clients ?? 24
  const redis = await RedisProcess.start({ name: 'revocable-fault-stall' })
  let instance: Instance | undefined
  try {
    instance = await openInstance(redis.url, newPrefix())
    const auth = instance.auth
    const revoked = await revokeSome(auth, 9, 'stall')
    const sessions = await Promise.all(
      Array.from({ length: clients }, (_, i) => auth.startSession({ sub: `client-${i}` })),
    )
    let done = false
    let accepted = 0
    const load = Promise.all(sessions.map((s) => refreshClient(auth, s.refreshToken, () => done)))
    for (let i = 0; i < stalls; i += 1) {
      await sleep(150)
      redis.pause()
      await sleep(400)
      redis.resume()
      accepted += await countValid(auth, revoked)
    }
    const lastStall = performance.now()
    done = true
    const results = await load
    let recoverMs = -1
    const deadline = performance.now() + 5000
    while (recoverMs < 0 && performance.now() < deadline) {
      const fresh = await auth.issue({ sub: 'probe' }).catch(() => undefined)
      if (fresh !== undefined && (await countValid(auth, [fresh])) === 1) {
        recoverMs = Math.round(performance.now() - lastStall)
      } else await sleep(10)
    }
    return {
      scenario: `${stalls} SIGSTOP stalls of 400 ms under refresh load (${clients} clients)`,
      acknowledgedLost: await countValid(auth, revoked),
      revokedAccepted: accepted,
      falseReuse: results.filter((r) => r.outcome === 'reused').length,
      recoverMs,
      warnings: instance.warnings,
    }
  } finally {
    redis.resume()
    await instance?.close()
    await redis.destroy()
  }
}

const REFRESH_CHILD = fileURLToPath(new URL('./refresh-child.ts', import.meta.url))

/**
 * Runs refresh-child.ts on `tokens` and kills it with SIGKILL once it has handed out `after`
 * new tokens: resolves to the newest token each client received (its answer to every later,
 * lost refresh never arrived).
 */
function refreshThenKill(url: string, prefix: string, tokens: string[], after: number) {
  return new Promise<string[]>((resolve, reject) => {
    const latest = [...tokens]
    const child = spawn(process.execPath, ['--import', 'tsx', REFRESH_CHILD, url, prefix], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let buffer = ''
    let stderr = ''
    let handedOut = 0
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let end: number
      while ((end = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + 1)
        if (line === 'ready' || handedOut >= after) continue
        const { i, token } = JSON.parse(line) as { i: number; token: string }
        latest[i] = token
        handedOut += 1
        if (handedOut === after) child.kill('SIGKILL') // mid-storm: no close, no flush
      }
    })
    child.once('error', reject)
    child.once('exit', (_code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL' || handedOut < after) {
        reject(new Error(`the refresh child ended early (${signal}):\n${stderr}`))
      } else resolve(latest)
    })
    child.stdin.end(`${JSON.stringify(tokens)}\n`)
  })
}

/**
 * The service is killed with SIGKILL in the middle of a refresh storm (40 sessions); every
 * client then retries its last refresh on another instance, as it would after a lost answer.
 */
export async function serviceKilledMidRefresh(clients = 40): Promise<FaultFigures> {
  const redis = await RedisProcess.start({ name: 'revocable-fault-kill' })
  const prefix = newPrefix()
  let instance: Instance | undefined
  try {
    instance = await openInstance(redis.url, prefix)
    const auth = instance.auth
    const revoked = await revokeSome(auth, 9, 'kill')
    const sessions = await Promise.all(
      Array.from({ length: clients }, (_, i) => auth.startSession({ sub: `client-${i}` })),
    )
    const latest = await refreshThenKill(
      redis.url,
      prefix,
      sessions.map((s) => s.refreshToken),
      clients * 3,
    )
    const killedAt = performance.now()
    const retried = await Promise.all(
      latest.map((token) => refreshClient(auth, token, () => false, 1)),
    )
    const recoverMs = Math.round(performance.now() - killedAt)
    return {
      scenario: `kill -9 of the service mid-refresh (${clients} clients)`,
      acknowledgedLost: await countValid(auth, revoked),
      revokedAccepted: await countValid(auth, revoked),
      falseReuse: retried.filter((r) => r.outcome === 'reused').length,
      recoverMs: retried.every((r) => r.outcome === 'ok') ? recoverMs : -1,
      warnings: instance.warnings,
    }
  } finally {
    await instance?.close()
    await redis.destroy()
  }
}

/** Waits until `probe` resolves true; the milliseconds it took, or -1 past `timeoutMs`. */
async function timeUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return Math.round(performance.now() - started)
    await sleep(50)
  }
  return -1
}

/** A login, a verify and a revocation all work (whatever slots they touch). */
async function serves(auth: Revocable, round: number): Promise<boolean> {
  const subs = Array.from({ length: 8 }, (_, i) => `after-${round}-${i}`)
  const sets = await Promise.all(subs.map((sub) => auth.startSession({ sub })))
  await Promise.all(sets.map((set) => auth.verify(set.accessToken)))
  await auth.revokeUser(subs[0] as string)
  return true
}

export interface ClusterFailoverFigures extends FaultFigures {
  /** Whether `checkReady` (what /readyz asks) refused while the dead master's slots had none. */
  readonly notReadyDuringFailover: boolean
}

/**
 * A 6-node cluster (3 masters, 3 replicas): kill -9 of a master, which its replica replaces after
 * the node timeout. `key` picks the master: one holding the global keys (`{g}`) or another.
 */
export async function clusterFailover(
  which: 'global-slot' | 'other-slot',
  cluster?: RedisCluster,
): Promise<ClusterFailoverFigures> {
  const own = cluster === undefined
  const nodes = cluster ?? (await RedisCluster.start(3, 1))
  const prefix = newPrefix()
  let instance: Instance | undefined
  try {
    const warnings: string[] = []
    const store = await RedisStore.connect({
      cluster: { rootNodes: nodes.rootNodes },
      prefix,
      warn: (message) => warnings.push(message),
    })
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ secret: HMAC_SECRET, kid: 'faults' }],
      store,
    }).catch(async (error: unknown) => {
      await store.close()
      throw error
    })
    instance = {
      auth,
      store,
      warnings,
      close: async () => {
        await auth.close().catch(() => undefined)
        await store.close().catch(() => undefined)
      },
    }
    const revoked = await revokeSome(auth, 30, 'failover')
    if ((await countValid(auth, revoked)) !== 0) throw new Error('revocations not in force')
    const globalMaster = await nodes.masterOf(`${prefix}{g}:epoch`)
    let victim = globalMaster
    if (which === 'other-slot') {
      for (let i = 0; ; i += 1) {
        const master = await nodes.masterOf(`${prefix}{u:probe-${i}}`)
        if (master !== globalMaster) {
          victim = master
          break
        }
      }
    }
    await victim.kill9()
    const killedAt = performance.now()
    let notReadyDuringFailover = false
    try {
      await store.checkReady()
    } catch {
      notReadyDuringFailover = true
    }
    let accepted = 0
    let round = 0
    const recoverMs = await timeUntil(async () => {
      accepted += await countValid(auth, revoked)
      round += 1
      return (await serves(auth, round)) && (await store.checkReady().then(() => true))
    }, 30_000)
    void killedAt
    if (recoverMs >= 0) await nodes.restore(victim)
    return {
      scenario: `cluster failover: kill -9 of the master of ${which === 'global-slot' ? 'the global keys' : 'other keys'}`,
      acknowledgedLost: await countValid(auth, revoked),
      revokedAccepted: accepted,
      falseReuse: 0,
      recoverMs,
      warnings,
      notReadyDuringFailover,
    }
  } finally {
    await instance?.close()
    if (own) await nodes.destroy()
  }
}
