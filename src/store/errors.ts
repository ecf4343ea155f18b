/**
 * Errors of the store: a KoplusError (src/errors.ts) with a stable code `KOPLUS_STORE_…` (undici style) and a
 * message naming the entity and field. `storeCode` is the code without the prefix (what the constructor takes).
 */
import { KoplusError, type KoplusStoreCode } from '../errors.js'

/** FILE: the database file or its directory cannot be made or opened (message: one line naming the path). */
export type StoreErrorCode = 'NOT_FOUND' | 'DUPLICATE' | 'INVALID' | 'IN_USE' | 'SCHEMA' | 'FILE'

export class StoreError extends KoplusError {
  override readonly name = 'StoreError'
  declare readonly code: KoplusStoreCode
  constructor(
    readonly storeCode: StoreErrorCode,
    message: string,
    /** The field at fault, when there is one (e.g. 'number', 'settings.ringTimeSec'). */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(`KOPLUS_STORE_${storeCode}`, message, options)
  }
}

export function notFound(entity: string, id: string): StoreError {
  return new StoreError('NOT_FOUND', `${entity} '${id}' not found`)
}

export function invalid(field: string, message: string): StoreError {
  return new StoreError('INVALID', `${field}: ${message}`, field)
}
