/**
 * The part of a node-redis v5 client or cluster this store uses. Both `createClient()` and
 * `createCluster()` results satisfy it, so the store runs on either without knowing which.
 */
export interface RedisConnection {
  get(key: string): Promise<string | null>
  mGet(keys: string[]): Promise<(string | null)[]>
  exists(key: string): Promise<number>
  set(
    key: string,
    value: string,
    options?: { NX?: true; expiration?: { type: 'PX'; value: number } },
  ): Promise<string | null>
  zRange(key: string, start: number, stop: number): Promise<string[]>
  sAdd(key: string, member: string): Promise<number>
  sMembers(key: string): Promise<string[]>
  sIsMember(key: string, member: string): Promise<number | boolean>
  hSetNX(key: string, field: string, value: string): Promise<number | boolean>
  hVals(key: string): Promise<string[]>
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  xAdd(
    key: string,
    id: '*',
    message: Record<string, string>,
    options?: { TRIM: { strategy: 'MINID'; strategyModifier: '~'; threshold: number } },
  ): Promise<string>
  xRange(
    key: string,
    start: string,
    end: string,
    options?: { COUNT: number },
  ): Promise<StreamEntry[]>
  xRead(
    stream: { key: string; id: string },
    options: { COUNT: number; BLOCK: number },
  ): Promise<{ name: string; messages: StreamEntry[] }[] | null>
  xRevRange(
    key: string,
    end: string,
    start: string,
    options?: { COUNT: number },
  ): Promise<StreamEntry[]>
  pTTL(key: string): Promise<number>
  withCommandOptions(options: { timeout: number }): RedisConnection
  duplicate(): RedisConnection & {
    connect(): Promise<unknown>
    on(event: 'error', fn: () => void): void
  }
  close(): Promise<void>
}

export interface StreamEntry {
  id: string
  message: Record<string, string>
}

/** One Redis node that can SCAN (a standalone client, or one master of a cluster). */
export interface ScannableNode {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>
  mGet(keys: string[]): Promise<(string | null)[]>
  pTTL(key: string): Promise<number>
}
