/** HTTP errors of the API, each with a stable code and, for validation errors, the field at fault. */

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

/** An error the API answers with: `{ error: { code, field?, message } }` and the HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
  toJSON(): { error: { code: ApiErrorCode; field?: string; message: string } } {
    return { error: { code: this.code, ...(this.field ? { field: this.field } : {}), message: this.message } }
  }
}

export const validation = (field: string, message: string): ApiError => new ApiError(400, 'VALIDATION', message, field)
export const notFound = (what: string, id: string): ApiError => new ApiError(404, 'NOT_FOUND', `${what} '${id}' not found`)
export const conflict = (message: string, field?: string): ApiError => new ApiError(409, 'CONFLICT', message, field)
export const forbidden = (message = 'not allowed for this account'): ApiError => new ApiError(403, 'FORBIDDEN', message)

/**
 * Turn anything a backend threw into an ApiError: StoreError-shaped errors (code NOT_FOUND / DUPLICATE / IN_USE /
 * INVALID, optional field) keep their message and field; anything else is an internal error (message hidden).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const e = err as { code: string; message?: string; field?: string }
    const message = e.message ?? e.code
    switch (e.code) {
      case 'NOT_FOUND':
        return new ApiError(404, 'NOT_FOUND', message, e.field)
      case 'DUPLICATE':
      case 'IN_USE':
        return new ApiError(409, 'CONFLICT', message, e.field)
      case 'INVALID':
      case 'VALIDATION':
        return new ApiError(400, 'VALIDATION', message, e.field)
      case 'PLAN':
        return new ApiError(403, 'PLAN', message, e.field)
    }
  }
  // ScheduleValidationError (src/core/schedule/errors.ts) carries issues [{ field, problem }]
  if (err && typeof err === 'object' && Array.isArray((err as { issues?: unknown }).issues)) {
    const issues = (err as { issues: { field?: string; path?: string; problem?: string; message?: string }[] }).issues
    const first = issues[0]
    if (first) return validation(first.field ?? first.path ?? '', first.problem ?? first.message ?? String(err))
  }
  return new ApiError(500, 'INTERNAL', 'internal error')
}
