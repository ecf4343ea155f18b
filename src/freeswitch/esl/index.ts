/** koplus's own FreeSWITCH Event Socket client: the public API. */
export { EslClient } from './client.js'
export type { EslClientOptions, EslClientEvents, EslReconnectingInfo, EslLogData } from './client.js'
export { EslParser, EslFramingError } from './parser.js'
export type { EslFrame } from './parser.js'
export { eventFromFrame, makeEvent, peekEventName, peekLeadingEventName, urlDecode } from './event.js'
export type { EslEvent } from './event.js'
export type { BgapiResult } from './background-jobs.js'
export type { ExecutionDone, ExecutionResult } from './executions.js'
export type { BackoffOptions } from './backoff.js'
export type { WakeupOptions } from './wakeups.js'
export { backoffDelay } from './backoff.js'
export {
  EslError,
  EslAuthError,
  EslConnectError,
  EslTimeoutError,
  EslDisconnectedError,
  EslChannelGoneError,
  EslRudeRejectionError,
  EslCommandError,
} from './errors.js'
export type { EslConnectErrorCode } from './errors.js'
