/**
 * A real Redis Cluster for tests: `redis-server --cluster-enabled yes` processes on free loopback
 * ports with temp dirs (3 masters, optionally a replica each), joined by
 * `redis-cli --cluster create`, stopped and killed by PID.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { clusterNodePort, rawCommand, RedisProcess, waitFor } from './redis-server.js'

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

  /**
   * Starts `size` masters (and `replicas` replicas of each), assigns every slot, and waits for
   * `cluster_state:ok` on each node and, with replicas, for every replica to be in sync.
   */
  static async start(size = 3, replicas = 0): Promise<RedisCluster> {
    const started = await Promise.allSettled(
      Array.from({ length: size * (1 + replicas) }, () =>
        RedisProcess.start({
          args: CLUSTER_ARGS,
          name: 'revocable-cluster',
          pickPort: clusterNodePort,
        }),
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
          String(replicas),
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
      if (replicas > 0) {
        await waitFor(
          'every replica to be in sync with its master',
          async () => {
            const roles = await Promise.all(
              nodes.map((node) => rawCommand(node.port, ['INFO', 'replication'])),
            )
            const synced = roles.filter((info) => /master_link_status:up/.test(info)).length
            return synced === size * replicas
          },
          30_000,
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

  /** The node serving `key`'s slot as master right now (asked of any live node). */
  async masterOf(key: string): Promise<RedisProcess> {
    for (const node of this.nodes) {
      if (node.pid === undefined) continue
      const slot = Number((await rawCommand(node.port, ['CLUSTER', 'KEYSLOT', key])).slice(1))
      const table = await rawCommand(node.port, ['CLUSTER', 'NODES'])
      for (const line of table.split('\n')) {
        const [, address = '', flags = '', , , , , , ...ranges] = line.split(' ')
        if (!flags.includes('master') || flags.includes('fail')) continue
        const owns = ranges.some((range) => {
          const [from, to = from] = range.split('-').map(Number) as [number, number?]
          return slot >= from && slot <= (to as number)
        })
        const port = Number(address.split(':')[1]?.split('@')[0])
        const owner = this.nodes.find((candidate) => candidate.port === port)
        if (owns && owner !== undefined) return owner
      }
    }
    throw new Error(`no live master serves the slot of ${key}`)
  }

  /**
   * Starts a killed node again on its port and dir: it rejoins as a replica of the master that
   * replaced it, so the cluster can survive another failover. Waits until it is in sync.
   */
  async restore(node: RedisProcess): Promise<void> {
    await node.start()
    await waitFor(
      `node ${node.port} to rejoin as a replica in sync`,
      async () =>
        /master_link_status:up/.test(await rawCommand(node.port, ['INFO', 'replication'])),
      30_000,
    )
  }

  /** Stops every node by PID and removes their dirs. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()))
  }
}
