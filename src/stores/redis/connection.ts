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
  withCommandOptions(options: { timeout: number }): RedisConnection
  close(): Promise<void>
}
