import { RevocableError, StoreUnavailable } from '../errors.js'

/**
 * Runs a store call, turning any failure that is not already ours into ERR_STORE_UNAVAILABLE
 * (with the store's error as the cause). It sits beside the store contract so that every layer
 * that calls a store (keys/, revocation/, sessions/) maps failures the same way.
 */
export async function callStore<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof RevocableError) throw error
    throw new StoreUnavailable(`store failed to ${what}`, { cause: error })
  }
}
