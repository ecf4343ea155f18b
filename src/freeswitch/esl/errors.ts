/**
 * Every error the ESL client produces is an EslError with a stable `code` (in the manner of
 * undici's lib/core/errors.js), so callers branch on `err.code`, never on message text.
 * No message ever contains the ESL password.
 */

/** Base class of all ESL client errors. */
export class EslError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'EslError'
    this.code = code
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
  declare readonly code: EslConnectErrorCode
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
  constructor(message = 'the ESL connection was lost before the reply arrived; the command was not re-sent', options?: { cause?: unknown }) {
    super('ESL_DISCONNECTED', message, options)
    this.name = 'EslDisconnectedError'
  }
}

/** The channel an execute() ran on hung up before the application completed. */
export class EslChannelGoneError extends EslError {
  readonly uuid: string
  readonly hangupCause?: string
  constructor(uuid: string, hangupCause?: string) {
    super('ESL_CHANNEL_GONE', `channel ${uuid} hung up${hangupCause ? ` (${hangupCause})` : ''} before the application completed`)
    this.name = 'EslChannelGoneError'
    this.uuid = uuid
    if (hangupCause !== undefined) this.hangupCause = hangupCause
  }
}

/** FreeSWITCH's ACL refused the connection (text/rude-rejection). */
export class EslRudeRejectionError extends EslError {
  constructor(address: string, text: string) {
    super('ESL_RUDE_REJECTION', `FreeSWITCH ESL at ${address} refused the connection: ${text.trim() || 'rude rejection'}`)
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
