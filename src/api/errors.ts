/**
 * HTTP errors of the API: a KoplusError (src/errors.ts) with code `KOPLUS_API_<apiCode>`; `apiCode` is what the API
 * answers with in `{ error: { code } }`, and, for validation errors, the field at fault.
 */
import { KoplusError, type KoplusApiCode } from '../errors.js'
import { StoreError } from '../store/errors.js'
import { ScheduleValidationError } from '../core/schedule/errors.js'

export type ApiErrorCode =
  | 'VALIDATION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CSRF'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PLAN'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'SOX_MISSING'
  | 'INTERNAL'
  | 'NOT_LEADER'

/** An error the API answers with: `{ error: { code, field?, message } }` and the HTTP status. */
export class ApiError extends KoplusError {
  override readonly name = 'ApiError'
  declare readonly code: KoplusApiCode
  constructor(
    readonly status: number,
    readonly apiCode: ApiErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(`KOPLUS_API_${apiCode}`, message, options)
  }
  toJSON(): { error: { code: ApiErrorCode; field?: string; message: string } } {
    return { error: { code: this.apiCode, ...(this.field ? { field: this.field } : {}), message: this.message } }
  }
}

export const validation = (field: string, message: string): ApiError => new ApiError(400, 'VALIDATION', message, field)
export const notFound = (what: string, id: string): ApiError =>
  new ApiError(404, 'NOT_FOUND', `${what} '${id}' not found`)
export const conflict = (message: string, field?: string): ApiError => new ApiError(409, 'CONFLICT', message, field)
export const forbidden = (message = 'not allowed for this account'): ApiError => new ApiError(403, 'FORBIDDEN', message)

/**
 * Turn anything a backend threw into an ApiError: a StoreError (NOT_FOUND / DUPLICATE / IN_USE / INVALID, optional
 * field) or a ScheduleValidationError keeps its message and field; anything else is an internal error (message hidden).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof StoreError) {
    switch (err.storeCode) {
      case 'NOT_FOUND':
        return new ApiError(404, 'NOT_FOUND', err.message, err.field, { cause: err })
      case 'DUPLICATE':
      case 'IN_USE':
        return new ApiError(409, 'CONFLICT', err.message, err.field, { cause: err })
      case 'INVALID':
        return new ApiError(400, 'VALIDATION', err.message, err.field, { cause: err })
    }
  }
  if (err instanceof ScheduleValidationError) {
    const first = err.issues[0]
    if (first) return new ApiError(400, 'VALIDATION', first.problem, first.field, { cause: err })
  }
  return new ApiError(500, 'INTERNAL', 'internal error', undefined, { cause: err })
}
