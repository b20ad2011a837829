import { MemoryStore } from '../../src/stores/memory.js'
import { storeContract } from './contract.js'

storeContract('memory', {
  clockDrivesExpiry: true,
  async makeStore(clock) {
    const store = new MemoryStore({ clock })
    return { store, cleanup: () => store.close() }
  },
})
