import { createClient } from 'redis'

/** The machine's shared Redis; tests give each run its own key prefix and delete it after. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Deletes every key under `prefix` (SCAN is fine in a test, never on a request path). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url })
  await client.connect()
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys)
    }
  } finally {
    await client.close()
  }
}
