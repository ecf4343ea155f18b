/** Errors of the store, each with a stable code (undici style) and a message naming the entity and field. */
/** FILE: the database file or its directory cannot be made or opened (message: one line naming the path). */
export type StoreErrorCode = 'NOT_FOUND' | 'DUPLICATE' | 'INVALID' | 'IN_USE' | 'SCHEMA' | 'FILE'

export class StoreError extends Error {
  override readonly name = 'StoreError'
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The field at fault, when there is one (e.g. 'number', 'settings.ringTimeSec'). */
    readonly field?: string,
  ) {
    super(message)
  }
}

export function notFound(entity: string, id: string): StoreError {
  return new StoreError('NOT_FOUND', `${entity} '${id}' not found`)
}

export function invalid(field: string, message: string): StoreError {
  return new StoreError('INVALID', `${field}: ${message}`, field)
}
