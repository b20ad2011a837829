/**
 * A real 3-master Redis Cluster for tests: three `redis-server --cluster-enabled yes` on free
 * loopback ports with temp dirs, joined by `redis-cli --cluster create`, stopped by PID.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { rawCommand, RedisProcess, waitFor } from './redis-server.js'

const run = promisify(execFile)

const CLUSTER_ARGS: readonly string[] = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--cluster-node-timeout',
  '2000',
  '--appendonly',
  'no',
  '--save',
  '',
]

export class RedisCluster {
  readonly nodes: readonly RedisProcess[]

  private constructor(nodes: readonly RedisProcess[]) {
    this.nodes = nodes
  }

  /** Starts `size` masters, assigns every slot, and waits for `cluster_state:ok` on each. */
  static async start(size = 3): Promise<RedisCluster> {
    const started = await Promise.allSettled(
      Array.from({ length: size }, () =>
        RedisProcess.start({ args: CLUSTER_ARGS, name: 'revocable-cluster' }),
      ),
    )
    const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
    const cluster = new RedisCluster(nodes)
    try {
      const failed = started.find((result) => result.status === 'rejected')
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map((node) => `127.0.0.1:${node.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      )
      for (const node of nodes) {
        await waitFor(
          `cluster_state:ok on port ${node.port}`,
          async () =>
            (await rawCommand(node.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'),
          20_000,
        )
      }
      return cluster
    } catch (error) {
      await cluster.destroy()
      throw error
    }
  }

  /** What `RedisStore.connect({ cluster })` takes. */
  get rootNodes(): { url: string }[] {
    return this.nodes.map((node) => ({ url: node.url }))
  }

  /** Stops every node by PID and removes their dirs. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()))
  }
}
