/**
 * One attempt at a time per key (a username), in this process. Without it, a burst of parallel
 * guesses would all pass the lock check before the first failure is counted, and a threshold
 * of 10 would let hundreds through. With it, each attempt sees the failures of the ones before
 * it; across N instances at most N run at once. A key with too many attempts already waiting is
 * refused at once, so a flood cannot queue without bound.
 */
export class SerialByKey {
  readonly #queues = new Map<string, { tail: Promise<unknown>; size: number }>()
  readonly #limit: number

  /** @param limit attempts a key may have running or waiting */
  constructor(limit: number) {
    this.#limit = limit
  }

  /**
   * Runs `task` after every earlier task of `key` has settled; resolves to `{ refused: true }`
   * without running it when `limit` tasks of that key are already queued.
   *
   * @example
   * const outcome = await serial.run(username, () => tryLogin())
   * if ('refused' in outcome) reply.code(429)
   */
  async run<T>(key: string, task: () => Promise<T>): Promise<{ value: T } | { refused: true }> {
    const queue = this.#queues.get(key) ?? { tail: Promise.resolve(), size: 0 }
    if (queue.size >= this.#limit) return { refused: true }
    queue.size += 1
    this.#queues.set(key, queue)
    const result = queue.tail.then(task)
    queue.tail = result.catch(() => undefined)
    try {
      return { value: await result }
    } finally {
      queue.size -= 1
      if (queue.size === 0) this.#queues.delete(key)
    }
  }
}
