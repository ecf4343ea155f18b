/**
 * Pure builders of the ESL command strings the adapter sends (no I/O), so they are unit-tested on their own.
 */
import type { Command } from '../../core/commands.js'

type Originate = Extract<Command, { type: 'originate' }>

/**
 * Makes a value safe inside an originate variable block `{a=b,c=d}` / `[a=b]`: FreeSWITCH splits the block on
 * ',' (switch_separate_string honours single quotes) and ends it at '}' / ']'. Caller names come from outside, so
 * quotes, commas and brackets are replaced by spaces and a value with spaces is single-quoted.
 */
export function originateValue(value: string): string {
  const clean = value
    .replace(/[',{}[\]\r\n]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return /\s/.test(clean) ? `'${clean}'` : clean
}

/**
 * One `originate` for every leg of an offer (parallel ringing = comma-separated legs; the first to answer wins and
 * FreeSWITCH hangs up the others with LOSE_RACE, capture inbound-parallel-ring). `&park()`: the answered leg parks
 * until we bridge it. `ignore_early_media=true`: ringback is not an answer.
 */
export function originateCommand(cmd: Originate): string {
  const global = [
    'ignore_early_media=true',
    `originate_timeout=${Math.max(1, Math.round(cmd.timeoutSec))}`,
    `origination_caller_id_name=${originateValue(cmd.callerIdName)}`,
    `origination_caller_id_number=${originateValue(cmd.callerIdNumber)}`,
    'koplus_role=agent',
    `koplus_call=${originateValue(cmd.callId)}`,
    `koplus_queue_id=${originateValue(cmd.queueId)}`,
  ].join(',')
  const legs = cmd.legs
    .map(
      (l) =>
        `[origination_uuid=${l.legId},koplus_agent=${originateValue(l.agentId)},koplus_offer=${originateValue(cmd.offerId)}]${l.dialString}`,
    )
    .join(',')
  return `originate {${global}}${legs} &park()`
}

/** Several files as one playback argument: `file_string://a!b!c` (mod_dptools file_string). */
export function playbackArgument(files: string[]): string {
  if (files.length === 1) return files[0]
  return 'file_string://' + files.join('!')
}

/** A hangup cause as FreeSWITCH spells it (upper case, underscores); unknown text becomes NORMAL_CLEARING. */
export function hangupCause(cause: string): string {
  const c = cause.trim().toUpperCase()
  return /^[A-Z_]+$/.test(c) ? c : 'NORMAL_CLEARING'
}

/** The cause in a failed originate's BACKGROUND_JOB body, e.g. `-ERR USER_NOT_REGISTERED\n`. */
export function jobFailureCause(body: string | undefined): string | undefined {
  if (!body) return undefined
  const m = /^\s*-ERR\s+([A-Z_]+)/.exec(body)
  if (m) return m[1]
  if (/^\s*-ERR/.test(body)) return 'UNKNOWN'
  return undefined
}
