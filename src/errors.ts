/**
 * The root of every error koplus throws on purpose (in the manner of undici's lib/core/errors.js and
 * node-redis's errors): one class, `KoplusError`, with a `code` from one typed union, every code prefixed
 * `KOPLUS_`. Callers branch on `instanceof` and `err.code`, never on message text. The ES2022 `cause` option is
 * passed through, so pino's `err` serializer logs the cause chain with its stack (log errors as `{ err }`).
 *
 * Pure: no I/O, no node: imports, so src/core may import it too. The subclasses live with their areas:
 * src/freeswitch/esl/errors.ts (EslError …), src/store/errors.ts (StoreError), src/config/index.ts (ConfigError),
 * src/api/errors.ts (ApiError), src/daemon/index.ts (StartupError), src/cli/client.ts (CliError),
 * src/core/schedule/errors.ts (ScheduleValidationError).
 */

/** Codes of the ESL client (src/freeswitch/esl). */
export type KoplusEslCode =
  | 'KOPLUS_ESL_AUTH_FAILED'
  | 'KOPLUS_ESL_CONNECT_REFUSED'
  | 'KOPLUS_ESL_HOST_UNREACHABLE'
  | 'KOPLUS_ESL_CONNECT_TIMEOUT'
  | 'KOPLUS_ESL_COMMAND_TIMEOUT'
  | 'KOPLUS_ESL_DISCONNECTED'
  | 'KOPLUS_ESL_CHANNEL_GONE'
  | 'KOPLUS_ESL_RUDE_REJECTION'
  | 'KOPLUS_ESL_COMMAND_FAILED'
  | 'KOPLUS_ESL_INVALID_COMMAND'
  | 'KOPLUS_ESL_PROTOCOL'
  | 'KOPLUS_ESL_FRAMING'

/** Codes of the store (src/store). */
export type KoplusStoreCode =
  | 'KOPLUS_STORE_NOT_FOUND'
  | 'KOPLUS_STORE_DUPLICATE'
  | 'KOPLUS_STORE_INVALID'
  | 'KOPLUS_STORE_IN_USE'
  | 'KOPLUS_STORE_SCHEMA'
  | 'KOPLUS_STORE_FILE'

/** Codes of the HTTP API (src/api): `KOPLUS_API_` + the code the API answers with in `{ error: { code } }`. */
export type KoplusApiCode =
  | 'KOPLUS_API_VALIDATION'
  | 'KOPLUS_API_UNAUTHENTICATED'
  | 'KOPLUS_API_FORBIDDEN'
  | 'KOPLUS_API_CSRF'
  | 'KOPLUS_API_NOT_FOUND'
  | 'KOPLUS_API_CONFLICT'
  | 'KOPLUS_API_PLAN'
  | 'KOPLUS_API_RATE_LIMITED'
  | 'KOPLUS_API_PAYLOAD_TOO_LARGE'
  | 'KOPLUS_API_UNSUPPORTED_MEDIA_TYPE'
  | 'KOPLUS_API_METHOD_NOT_ALLOWED'
  | 'KOPLUS_API_SOX_MISSING'
  | 'KOPLUS_API_INTERNAL'
  | 'KOPLUS_API_NOT_LEADER'

/** Every code a KoplusError may carry. */
type KoplusErrorCode =
  | KoplusEslCode
  | KoplusStoreCode
  | KoplusApiCode
  | 'KOPLUS_CONFIG_INVALID'
  | 'KOPLUS_STARTUP_FAILED'
  | 'KOPLUS_CLI_FAILED'
  | 'KOPLUS_SCHEDULE_INVALID'
  | 'KOPLUS_NOT_LEADER'

/** Every code, once (for tests and docs: each is unique and KOPLUS_-prefixed). */
export const KOPLUS_ERROR_CODES: readonly KoplusErrorCode[] = [
  'KOPLUS_ESL_AUTH_FAILED',
  'KOPLUS_ESL_CONNECT_REFUSED',
  'KOPLUS_ESL_HOST_UNREACHABLE',
  'KOPLUS_ESL_CONNECT_TIMEOUT',
  'KOPLUS_ESL_COMMAND_TIMEOUT',
  'KOPLUS_ESL_DISCONNECTED',
  'KOPLUS_ESL_CHANNEL_GONE',
  'KOPLUS_ESL_RUDE_REJECTION',
  'KOPLUS_ESL_COMMAND_FAILED',
  'KOPLUS_ESL_INVALID_COMMAND',
  'KOPLUS_ESL_PROTOCOL',
  'KOPLUS_ESL_FRAMING',
  'KOPLUS_STORE_NOT_FOUND',
  'KOPLUS_STORE_DUPLICATE',
  'KOPLUS_STORE_INVALID',
  'KOPLUS_STORE_IN_USE',
  'KOPLUS_STORE_SCHEMA',
  'KOPLUS_STORE_FILE',
  'KOPLUS_API_VALIDATION',
  'KOPLUS_API_UNAUTHENTICATED',
  'KOPLUS_API_FORBIDDEN',
  'KOPLUS_API_CSRF',
  'KOPLUS_API_NOT_FOUND',
  'KOPLUS_API_CONFLICT',
  'KOPLUS_API_PLAN',
  'KOPLUS_API_RATE_LIMITED',
  'KOPLUS_API_PAYLOAD_TOO_LARGE',
  'KOPLUS_API_UNSUPPORTED_MEDIA_TYPE',
  'KOPLUS_API_METHOD_NOT_ALLOWED',
  'KOPLUS_API_SOX_MISSING',
  'KOPLUS_API_INTERNAL',
  'KOPLUS_API_NOT_LEADER',
  'KOPLUS_CONFIG_INVALID',
  'KOPLUS_STARTUP_FAILED',
  'KOPLUS_CLI_FAILED',
  'KOPLUS_SCHEDULE_INVALID',
  'KOPLUS_NOT_LEADER',
]

/** Base class of every error koplus throws on purpose. `name` is the subclass's name. */
export class KoplusError extends Error {
  readonly code: KoplusErrorCode
  constructor(code: KoplusErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** True when `err` is a KoplusError with `code` (or, without `code`, any KoplusError). */
export function isKoplusError(err: unknown, code?: KoplusErrorCode): err is KoplusError {
  return err instanceof KoplusError && (code === undefined || err.code === code)
}
