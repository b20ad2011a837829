import type { createClient } from 'redis'
import type { SessionRecord } from '../../src/store.js'
import { redisKeys } from '../../src/stores/redis/keys.js'

type Client = ReturnType<typeof createClient>

/**
 * Copies `template` into `count` sessions of its user, written straight into Redis in the
 * RedisStore's format (record, owner pointer, the user's three session indexes), pipelined a
 * thousand at a time: through the store, 100,000 logins take minutes. The copies are older than
 * the template (created and last used before it); every `expiredEvery`-th one is already expired.
 * Resolves to their sids, oldest first.
 *
 * @example
 * const sids = await seedSessions(redis, 'rvk:', template, 20_000, 4)
 */
export async function seedSessions(
  redis: Client,
  prefix: string,
  template: SessionRecord,
  count: number,
  expiredEvery: number,
): Promise<string[]> {
  const keys = redisKeys(prefix)
  const user = keys.user(template.sub)
  const sids: string[] = []
  const ttl = Math.max(1, Math.ceil(template.purgeAt - Date.now()))
  for (let start = 0; start < count; start += 1000) {
    const batch = redis.multi()
    for (let i = start; i < Math.min(count, start + 1000); i += 1) {
      const sid = `seed${i}`
      sids.push(sid)
      const createdAt = template.createdAt - count + i
      const expiresAt = i % expiredEvery === 0 ? Date.now() - 1000 : template.expiresAt
      const record = { ...template, sid, createdAt, lastUsedAt: createdAt, expiresAt }
      batch.set(user.sessionPrefix + sid, JSON.stringify(record), { PX: ttl })
      batch.set(keys.sessionOwner(sid), template.sub, { PX: ttl })
      batch.zAdd(user.sessions, { score: createdAt, value: sid })
      batch.zAdd(user.sessionsByExpiry, { score: expiresAt, value: sid })
      batch.zAdd(user.sessionsByCreation, { score: createdAt, value: sid })
    }
    await batch.exec()
  }
  return sids
}
