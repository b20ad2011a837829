import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../../src/stores/sqlite.js'
import { storeContract } from './contract.js'

storeContract('sqlite', {
  clockDrivesExpiry: true,
  async makeStore(clock) {
    const dir = mkdtempSync(join(tmpdir(), 'revocable-sqlite-'))
    const store = new SqliteStore({ path: join(dir, 'store.db'), clock })
    return {
      store,
      async cleanup() {
        await store.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
})
