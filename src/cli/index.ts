#!/usr/bin/env node
/**
 * The `revocable` executable: runs `main` on the process's arguments and exits with its code
 * (0 ok, 1 failure, 2 usage), except while `serve` serves.
 */
import type { Io } from './command.js'
import { main } from './main.js'

const io: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  env: process.env,
}

const code = await main(process.argv.slice(2), io)
// A finished command exits now, whatever timers or sockets a store left behind; serve stays.
if (code !== 'running') process.exit(code)
