import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** Replica memory per revoked jti at `count` entries, next to a Map<string, number>. */
export async function benchMemory(count: number): Promise<Record<string, number>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      fileURLToPath(new URL('./memory-child.ts', import.meta.url)),
      String(count),
    ],
    { maxBuffer: 1 << 20 },
  )
  return JSON.parse(stdout) as Record<string, number>
}
