/**
 * Every error the ESL client produces is an EslError (a KoplusError, src/errors.ts) with a stable `code`
 * (`KOPLUS_ESL_…`, in the manner of undici's lib/core/errors.js), so callers branch on `instanceof` and `err.code`,
 * never on message text. `eslCode` keeps the code without the prefix (`ESL_…`). No message ever contains the ESL
 * password.
 */
import { KoplusError, type KoplusEslCode } from '../../errors.js'

/** The ESL codes without the KOPLUS_ prefix (what the constructors take; `eslCode`). */
type EslErrorCode = KoplusEslCode extends `KOPLUS_${infer C}` ? C : never

/** Base class of all ESL client errors. */
export class EslError extends KoplusError {
  declare readonly code: KoplusEslCode
  constructor(code: EslErrorCode, message: string, options?: { cause?: unknown }) {
    super(`KOPLUS_${code}`, message, options)
    this.name = 'EslError'
  }
  /** The code without its KOPLUS_ prefix, e.g. `ESL_CHANNEL_GONE`. */
  get eslCode(): EslErrorCode {
    return this.code.slice('KOPLUS_'.length) as EslErrorCode
  }
}

/** FreeSWITCH refused the password (`-ERR invalid`). Final: the client does not retry. */
export class EslAuthError extends EslError {
  constructor(address: string) {
    super('ESL_AUTH_FAILED', `FreeSWITCH ESL at ${address} rejected the password (-ERR invalid)`)
    this.name = 'EslAuthError'
  }
}

export type EslConnectErrorCode = 'ESL_CONNECT_REFUSED' | 'ESL_HOST_UNREACHABLE' | 'ESL_CONNECT_TIMEOUT'

/** The TCP connection (or the wait for auth/request) failed. */
export class EslConnectError extends EslError {
  declare readonly code: `KOPLUS_${EslConnectErrorCode}`
  readonly address: string
  constructor(code: EslConnectErrorCode, address: string, reason: string, options?: { cause?: unknown }) {
    super(code, `cannot connect to FreeSWITCH ESL at ${address}: ${reason}`, options)
    this.name = 'EslConnectError'
    this.address = address
  }
}

/** No reply to a command (api, bgapi, sendmsg, ...) within its timeout. */
export class EslTimeoutError extends EslError {
  readonly command: string
  readonly timeoutMs: number
  constructor(command: string, timeoutMs: number) {
    super('ESL_COMMAND_TIMEOUT', `no reply to "${command}" within ${timeoutMs} ms`)
    this.name = 'EslTimeoutError'
    this.command = command
    this.timeoutMs = timeoutMs
  }
}

/** The connection was lost (or not up) while the command was pending. It was not re-sent. */
export class EslDisconnectedError extends EslError {
  constructor(
    message = 'the ESL connection was lost before the reply arrived; the command was not re-sent',
    options?: { cause?: unknown },
  ) {
    super('ESL_DISCONNECTED', message, options)
    this.name = 'EslDisconnectedError'
  }
}

/** The channel an execute() ran on hung up before the application completed. */
export class EslChannelGoneError extends EslError {
  readonly uuid: string
  readonly hangupCause?: string
  constructor(uuid: string, hangupCause?: string) {
    super(
      'ESL_CHANNEL_GONE',
      `channel ${uuid} hung up${hangupCause ? ` (${hangupCause})` : ''} before the application completed`,
    )
    this.name = 'EslChannelGoneError'
    this.uuid = uuid
    if (hangupCause !== undefined) this.hangupCause = hangupCause
  }
}

/** FreeSWITCH's ACL refused the connection (text/rude-rejection). */
export class EslRudeRejectionError extends EslError {
  constructor(address: string, text: string) {
    super(
      'ESL_RUDE_REJECTION',
      `FreeSWITCH ESL at ${address} refused the connection: ${text.trim() || 'rude rejection'}`,
    )
    this.name = 'EslRudeRejectionError'
  }
}

/** A command got an `-ERR ...` reply. `reply` holds FreeSWITCH's text. */
export class EslCommandError extends EslError {
  readonly command: string
  readonly reply: string
  constructor(command: string, reply: string) {
    super('ESL_COMMAND_FAILED', `"${command}" failed: ${reply}`)
    this.name = 'EslCommandError'
    this.command = command
    this.reply = reply
  }
}

/** The byte stream is not ESL framing (e.g. a Content-Length that is not a non-negative integer). */
export class EslFramingError extends EslError {
  constructor(message: string) {
    super('ESL_FRAMING', message)
    this.name = 'EslFramingError'
  }
}
