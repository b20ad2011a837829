import { main } from '../../src/cli/main.js'

export interface CliResult {
  code: number | 'running'
  stdout: string
  stderr: string
}

/**
 * Runs the CLI's main in this process (fast) with exactly `env` as its environment, collecting
 * what it prints; the executable itself is spawned by test/cli/cli.test.ts.
 *
 * @example
 * const { code, stdout } = await runCli({ STORE: 'memory' }, 'keys', 'list')
 */
export async function runCli(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await main([...args], {
    out: (text) => void (stdout += `${text}\n`),
    err: (text) => void (stderr += `${text}\n`),
    env,
  })
  return { code, stdout, stderr }
}
