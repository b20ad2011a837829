// The harness that starts the suites' own redis-server processes: a port taken between the pick
// and the bind, or a cluster node's bus port out of range, must not fail a suite's start (CI lost
// a whole cluster failover suite to one such start).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { after, test } from 'node:test'
import {
  CLUSTER_BUS_OFFSET,
  clusterNodePort,
  freePort,
  RedisProcess,
  rawCommand,
} from './redis-server.js'

const occupied: Server[] = []
after(() => {
  for (const server of occupied) server.close()
})

async function occupy(): Promise<number> {
  const server = createServer()
  occupied.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

test('a port taken before redis-server binds it: the server starts on another one', async () => {
  const taken = await occupy()
  const picks: number[] = []
  const redis = await RedisProcess.start({
    args: ['--save', '', '--appendonly', 'no'],
    pickPort: async () => {
      picks.push(picks.length === 0 ? taken : await freePort())
      return picks.at(-1) as number
    },
  })
  try {
    assert.equal(picks.length, 2)
    assert.equal(redis.port, picks[1])
    assert.equal(await rawCommand(redis.port, ['PING']), '+PONG')
  } finally {
    await redis.destroy()
  }
})

test('a cluster node whose bus port would pass 65 535 starts on another port', async () => {
  let first = true
  const redis = await RedisProcess.start({
    args: ['--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no'],
    pickPort: async () => {
      if (!first) return clusterNodePort()
      first = false
      return 60_000 // redis-server refuses it: its bus would be 70 000
    },
  })
  try {
    assert.notEqual(redis.port, 60_000)
    assert.equal(await rawCommand(redis.port, ['PING']), '+PONG')
  } finally {
    await redis.destroy()
  }
})

test('a cluster node port leaves its bus port (10 000 above) in range and free', async () => {
  for (let i = 0; i < 20; i += 1) {
    const port = await clusterNodePort()
    assert.ok(port + CLUSTER_BUS_OFFSET <= 65_535, `port ${port}`)
    await freePort(port + CLUSTER_BUS_OFFSET) // throws EADDRINUSE if the bus port were taken
  }
})

test('a start that fails for another reason is not retried and says why', async () => {
  let picks = 0
  await assert.rejects(
    RedisProcess.start({
      args: ['--no-such-option', 'yes'],
      pickPort: () => {
        picks += 1
        return freePort()
      },
    }),
    /exited at start/,
  )
  assert.equal(picks, 1)
})
