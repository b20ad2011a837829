/**
 * The service's defence against guessing, over the shared counters: login lockouts per
 * (username, IP) pair, per username and per IP, and per-IP throttles on client secrets, the
 * admin token and refresh tokens. Only failures count; a locked identity is answered 429 with
 * `Retry-After` before any password is hashed or secret compared, the same for a username that
 * exists and one that does not.
 */
import { isIPv6 } from 'node:net'
import type { FastifyReply } from 'fastify'
import type { LockoutConfig } from '../../service/config.js'
import { sendError } from '../http.js'
import type { GuessCounters } from '../../service/guessing/counters.js'
import {
  retryAfterSeconds,
  type FailureCount,
  type LockRule,
} from '../../service/guessing/rules.js'

/** What else can be guessed, each counted per client IP. */
export type CredentialKind = 'client' | 'admin' | 'refresh'

const ACCOUNT = 'user'
const ADDRESS = 'ip:'

/** What the admin sees of one username's failed logins. */
export interface LoginLockReport {
  readonly username: string
  readonly failures: number
  readonly locked: boolean
  readonly retry_after: number
  readonly addresses: readonly {
    ip: string
    failures: number
    locked: boolean
    retry_after: number
  }[]
}

/** Answers a locked identity: 429, `Retry-After`, one fixed description. */
export function sendTooManyAttempts(reply: FastifyReply, seconds: number): FastifyReply {
  return sendError(reply, 429, 'too_many_requests', 'too many failed attempts; try again later', {
    'retry-after': String(seconds),
  })
}

export class GuessGuard {
  readonly #counters: GuessCounters
  readonly #config: LockoutConfig
  readonly #clock: () => number
  readonly #pair: LockRule
  readonly #user: LockRule
  readonly #ip: LockRule
  readonly #credential: LockRule

  constructor(counters: GuessCounters, config: LockoutConfig, clock: () => number = Date.now) {
    this.#counters = counters
    this.#config = config
    this.#clock = clock
    const rule = (threshold: number) => ({
      threshold,
      lockMs: config.lockMs,
      maxLockMs: config.maxLockMs,
    })
    this.#pair = rule(config.pairFailures)
    this.#user = rule(config.userFailures)
    this.#ip = rule(config.ipFailures)
    this.#credential = rule(config.credentialFailures)
  }

  /** Seconds before `username` may try to log in from `ip` again; 0 when it may now. */
  async loginWait(username: string, clientIp: string): Promise<number> {
    const ip = counterAddress(clientIp)
    const now = this.#clock()
    const [login, address] = await Promise.all([
      this.#counters.read(loginBucket(username), now, this.#config.windowMs),
      this.#counters.read(ipBucket(ip), now, this.#config.windowMs),
    ])
    return Math.max(
      retryAfterSeconds(login.get(ADDRESS + ip), this.#pair, now),
      retryAfterSeconds(login.get(ACCOUNT), this.#user, now),
      retryAfterSeconds(address.get('login'), this.#ip, now),
    )
  }

  /** Counts a failed login against the pair, the username and the address. */
  async loginFailed(username: string, clientIp: string): Promise<void> {
    const ip = counterAddress(clientIp)
    const now = this.#clock()
    await Promise.all([
      this.#counters.add(
        loginBucket(username),
        [ACCOUNT, ADDRESS + ip],
        now,
        this.#config.windowMs,
      ),
      this.#counters.add(ipBucket(ip), ['login'], now, this.#config.windowMs),
    ])
  }

  /** A successful login forgets the failures of its pair (never counted itself). */
  async loginSucceeded(username: string, clientIp: string): Promise<void> {
    await this.#counters.clear(loginBucket(username), [ADDRESS + counterAddress(clientIp)])
  }

  /** Seconds before `ip` may present a credential of this kind again; 0 when it may now. */
  async credentialWait(kind: CredentialKind, clientIp: string): Promise<number> {
    const now = this.#clock()
    const address = await this.#counters.read(
      ipBucket(counterAddress(clientIp)),
      now,
      this.#config.windowMs,
    )
    return retryAfterSeconds(address.get(kind), this.#credential, now)
  }

  async credentialFailed(kind: CredentialKind, clientIp: string): Promise<void> {
    const bucket = ipBucket(counterAddress(clientIp))
    await this.#counters.add(bucket, [kind], this.#clock(), this.#config.windowMs)
  }

  /** The failed logins of a username: the account's count and each address's. */
  async describeLogin(username: string): Promise<LoginLockReport> {
    const now = this.#clock()
    const login = await this.#counters.read(loginBucket(username), now, this.#config.windowMs)
    const view = (failures: FailureCount | undefined, rule: LockRule) => {
      const wait = retryAfterSeconds(failures, rule, now)
      return { failures: failures?.count ?? 0, locked: wait > 0, retry_after: wait }
    }
    const addresses = [...login]
      .filter(([field]) => field.startsWith(ADDRESS))
      .map(([field, failures]) => ({
        ip: field.slice(ADDRESS.length),
        ...view(failures, this.#pair),
      }))
    return { username, ...view(login.get(ACCOUNT), this.#user), addresses }
  }

  /** Forgets every failed login of a username (the account and every pair). */
  async clearLogin(username: string): Promise<void> {
    await this.#counters.clear(loginBucket(username))
  }
}

/**
 * The address a counter is kept for: an IPv4 address as it is (IPv4-mapped IPv6 too), an IPv6
 * address as its /64 prefix, since one subscriber usually holds a whole /64 and could otherwise
 * take a fresh address for every guess.
 *
 * @example
 * counterAddress('2001:db8:1:2:a:b:c:d') // '2001:db8:1:2::/64'
 * counterAddress('::ffff:192.0.2.1') // '192.0.2.1'
 */
export function counterAddress(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  if (mapped?.[1] !== undefined) return mapped[1]
  const address = ip.split('%')[0] as string
  if (!isIPv6(address)) return ip
  const [head = '', tail] = address.split('::')
  const groups = (part: string | undefined) =>
    part === undefined || part === ''
      ? []
      : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]))
  const front = groups(head)
  const back = groups(tail)
  const full = [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back]
  const prefix = full.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16))
  return `${prefix.join(':')}::/64`
}

function loginBucket(username: string): string {
  return `login:${username}`
}

function ipBucket(ip: string): string {
  return `ip:${ip}`
}
