/**
 * The StoreError a store call rejects with (code and message are then asserted by the test); a test failure when it
 * resolves or rejects with something else.
 *
 *   t.equal((await storeError(t, store.queues.create({ number: '5000', name: 'Again' }))).code, 'KOPLUS_STORE_DUPLICATE')
 */
import { StoreError } from '../../src/store/errors.js'

interface Failing {
  fail(message: string): unknown
}

export async function storeError(t: Failing, p: Promise<unknown>): Promise<StoreError> {
  try {
    await p
  } catch (e) {
    if (e instanceof StoreError) return e
    t.fail(`expected a StoreError, got ${String(e)}`)
    throw e
  }
  t.fail('expected a StoreError, nothing was thrown')
  throw new Error('no error')
}
