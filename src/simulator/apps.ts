/**
 * The dialplan tools (mod_dptools) the simulator runs on a channel, with the event sequences and
 * Application-Response values of FreeSWITCH 1.10.12 (captures: inbound-queue-call, inbound-moh-break,
 * inbound-dtmf, inbound-record, inbound-originate-failures).
 */
import { randomUUID } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { AppCall, Channel, HeardItem, RunningApp } from './channel.js'
import type { Header } from './serialize.js'
import type { FreeSwitchSimulator } from './simulator.js'
import { makeWav } from './wav.js'

type Reason = Parameters<RunningApp['interrupt']>[0]

/** What a playback argument resolves to. */
export interface Media {
  /** Playback-File-Path. */
  path: string
  fileType?: string
  /** The parts heard in order (file_string:// lists have several). Infinity = until stopped. */
  parts: Array<{ file: string; ms: number }>
}

/** Total duration of a tone_stream:// spec: sum of %(on,off,...) segments times loops (-1 = forever). */
export function toneDurationMs(spec: string): number {
  let loops = 1
  const body = spec.replace(/^tone_stream:\/\//, '')
  const lm = /(?:^|;)\s*(?:loops|L)=(-?\d+)/.exec(body)
  if (lm) loops = Number(lm[1])
  let total = 0
  for (const m of body.matchAll(/%\((\d+),(\d+)/g)) total += Number(m[1]) + Number(m[2])
  if (loops < 0) return Infinity
  return total * Math.max(1, loops)
}

/** Resolves a playback argument, or undefined when FreeSWITCH would fail with FILE NOT FOUND. */
function resolveMedia(sim: FreeSwitchSimulator, arg: string): Media | undefined {
  const a = arg.trim()
  if (a.startsWith('file_string://')) {
    const parts: Media['parts'] = []
    for (const f of a.slice('file_string://'.length).split('!')) {
      const sub = resolveMedia(sim, f)
      if (sub) parts.push(...sub.parts)
    }
    return parts.length ? { path: a, parts } : undefined
  }
  if (a.startsWith('tone_stream://'))
    return { path: a, fileType: 'tone_stream', parts: [{ file: a, ms: toneDurationMs(a) }] }
  if (a.startsWith('silence_stream://')) {
    const n = Number(a.slice('silence_stream://'.length).split(',')[0])
    return { path: a, fileType: 'silence_stream', parts: [{ file: a, ms: n > 0 ? n : Infinity }] }
  }
  const ms = sim.fileDurationMs(a)
  return ms === undefined ? undefined : { path: a, parts: [{ file: a, ms }] }
}

function terminatorHit(ch: Channel, digit: string): boolean {
  const t = ch.variables.get('playback_terminators') ?? '*'
  if (t === 'none') return false
  return t === 'any' || t.includes(digit)
}

/** Starts `call` on the channel; the app reports completion through sim.finishApp. */
export function startApp(sim: FreeSwitchSimulator, ch: Channel, call: AppCall): void {
  // Every execution has an Application-UUID: the sendmsg Event-UUID, or a fresh one (switch_core_session_exec).
  if (!call.uuid) call.uuid = randomUUID()
  const run: RunningApp = { call, done: false, interrupt: () => true }
  ch.running = run
  const complete = (response = '_none_'): void => {
    if (run.done) return
    sim.completeEvent(ch, call, response)
    run.done = true
    if (ch.running === run) sim.finishApp(ch)
  }
  // An app that completes at once: EXECUTE, its effect, EXECUTE_COMPLETE.
  const instant = (effect: () => void, response = '_none_'): void => {
    sim.executeEvent(ch, call)
    effect()
    complete(response)
  }
  switch (call.app) {
    case 'answer':
      return instant(() => {
        if (ch.direction === 'inbound' && ch.profile.source === 'mod_sofia') sim.preAnswer(ch)
        sim.answer(ch)
      })
    case 'pre_answer':
      return instant(() => sim.preAnswer(ch))
    case 'ring_ready':
      return instant(() => sim.ringReady(ch))
    case 'set':
    case 'export':
      return instant(() => {
        const i = call.arg.indexOf('=')
        if (i > 0) {
          const k = call.arg.slice(0, i)
          const v = call.arg.slice(i + 1)
          ch.setVar(k, v === '' ? undefined : v)
          if (call.app === 'export') ch.setVar('export_vars', k)
        }
      })
    case 'unset':
      return instant(() => ch.setVar(call.arg, undefined))
    case 'log':
    case 'info':
      return instant(() => undefined)
    case 'park':
      sim.executeEvent(ch, call)
      // park blocks in switch_ivr_park (mod_dptools park_function) until the call is transferred, bridged or hung
      // up, all of which leave CS_EXECUTE: the dialplan actions queued after it never run (standard_on_execute).
      if (call.dialplan) ch.queue = ch.queue.filter((c) => !c.dialplan)
      ch.running = undefined
      run.done = true
      ch.parked = 'app'
      ch.parkCall = call
      sim.channelEvent(ch, 'CHANNEL_PARK')
      sim.pump(ch)
      return
    case 'sleep': {
      sim.executeEvent(ch, call)
      const t = sim.later(ch, Number(call.arg) || 0, () => complete())
      run.interrupt = () => {
        sim.cancel(ch, t)
        complete()
        return true
      }
      return
    }
    case 'hangup':
      sim.executeEvent(ch, call)
      run.interrupt = () => {
        complete()
        return true
      }
      sim.hangup(ch, call.arg || 'NORMAL_CLEARING')
      return
    case 'respond': {
      sim.executeEvent(ch, call)
      const code = Number(call.arg.split(' ')[0])
      // respond only works on SIP legs; mod_loopback ignores it (INDEX.txt, busy-486).
      if (ch.profile.source !== 'mod_loopback' && code >= 400) {
        run.interrupt = () => {
          complete()
          return true
        }
        sim.hangup(ch, sipCause(code))
        return
      }
      if (code === 180 || code === 183) sim.ringReady(ch)
      complete()
      return
    }
    case 'transfer': {
      sim.executeEvent(ch, call)
      const [dest, , context] = call.arg.split(/\s+/)
      sim.completeEvent(ch, call, '_none_')
      run.done = true
      ch.running = undefined
      sim.transfer(ch, dest, context ?? ch.profile.context)
      return
    }
    case 'execute_extension': {
      // switch_core_session_execute_exten: hunt `<exten> [<dialplan> <context>]` now and run its actions in place;
      // no extension found: nothing runs and the caller goes on with its next action. (Real FreeSWITCH sends this
      // app's EXECUTE_COMPLETE after the nested actions return; a nested park never returns before koplus takes the
      // call over, so here the COMPLETE follows at once.)
      sim.executeEvent(ch, call)
      const [dest = '', , context] = call.arg.split(/\s+/)
      const nested = sim.dialplan.route(dest, {
        context: context ?? ch.profile.context,
        domain: ch.variables.get('domain_name') ?? 'default',
      })
      if (nested) ch.queue.unshift(...nested.map((c) => ({ ...c, dialplan: call.dialplan })))
      return complete()
    }
    case 'hash':
    case 'eval':
    case 'group':
    case 'gentones':
    case 'deflect':
      // stock bookkeeping applications of the vanilla dialplan: no effect the simulator models
      return instant(() => undefined)
    case 'ivr':
    case 'conference':
    case 'fifo':
    case 'valet_park':
    case 'voicemail':
    case 'intercept':
    case 'eavesdrop':
    case 'echo':
    case 'delay_echo':
    case 'esf_page_group':
    case 'lua':
      // stock applications that keep the call (a menu, a conference, a queue of mod_fifo …) until it ends
      sim.executeEvent(ch, call)
      run.interrupt = () => {
        complete()
        return true
      }
      return
    case 'playback':
      return playback(sim, ch, run, complete)
    case 'endless_playback':
      return endlessPlayback(sim, ch, run, complete)
    case 'record':
      return record(sim, ch, run, complete)
    default:
      // Unknown application: FreeSWITCH logs "Invalid Application" and runs nothing.
      sim.log.warn({ app: call.app }, 'simulator: unsupported application')
      run.done = true
      ch.running = undefined
      sim.pump(ch)
  }
}

function sipCause(code: number): string {
  if (code === 486 || code === 600) return 'USER_BUSY'
  if (code === 603) return 'CALL_REJECTED'
  if (code === 404) return 'UNALLOCATED_NUMBER'
  if (code === 480) return 'NO_USER_RESPONSE'
  if (code === 487) return 'ORIGINATOR_CANCEL'
  return 'NORMAL_TEMPORARY_FAILURE'
}

/** Plays media parts one after another; returns controls to stop it. */
function playParts(
  sim: FreeSwitchSimulator,
  ch: Channel,
  media: Media,
  onDone: () => void,
): { stop(interrupted: boolean): void } {
  let idx = 0
  let timer: ReturnType<FreeSwitchSimulator['later']> | undefined
  let current: HeardItem | undefined
  const next = (): void => {
    if (current) current.endedAt = sim.clock.now()
    if (idx >= media.parts.length) {
      current = undefined
      onDone()
      return
    }
    const part = media.parts[idx++]
    current = { file: part.file, startedAt: sim.clock.now() }
    ch.heard.push(current)
    if (Number.isFinite(part.ms)) timer = sim.later(ch, part.ms, next)
  }
  next()
  return {
    stop(interrupted: boolean) {
      sim.cancel(ch, timer)
      if (current) {
        current.endedAt = sim.clock.now()
        if (interrupted) current.interrupted = true
        current = undefined
      }
    },
  }
}

function playbackHeaders(media: Media, status?: string): Header[] {
  const h: Header[] = []
  if (media.fileType) h.push(['Playback-File-Type', media.fileType])
  h.push(['Playback-File-Path', media.path])
  if (status) h.push(['Playback-Status', status])
  return h
}

/** playback: one EXECUTE/EXECUTE_COMPLETE pair per loop (sendmsg `loops:`), same Application-UUID. */
function playback(sim: FreeSwitchSimulator, ch: Channel, run: RunningApp, complete: (r?: string) => void): void {
  const call = run.call
  let loopsLeft = call.loops
  let player: { stop(interrupted: boolean): void } | undefined
  let media: Media | undefined
  const once = (): void => {
    sim.executeEvent(ch, call)
    media = resolveMedia(sim, call.arg)
    if (!media) {
      complete('FILE NOT FOUND')
      return
    }
    const m = media
    sim.channelEvent(ch, 'PLAYBACK_START', playbackHeaders(m))
    player = playParts(sim, ch, m, () => {
      player = undefined
      setPlaybackVars(ch, m)
      sim.channelEvent(ch, 'PLAYBACK_STOP', playbackHeaders(m, 'done'))
      if (loopsLeft > 0) loopsLeft--
      if (loopsLeft === 0) {
        complete('FILE PLAYED')
        return
      }
      sim.completeEvent(ch, call, 'FILE PLAYED')
      once()
    })
  }
  const stop = (response: string): void => {
    player?.stop(true)
    player = undefined
    if (media) sim.channelEvent(ch, 'PLAYBACK_STOP', playbackHeaders(media, 'break'))
    complete(response)
  }
  run.interrupt = (reason: Reason) => {
    stop(reason === 'break' || reason === 'break-all' ? 'FILE PLAYED' : 'PLAYBACK ERROR')
    return true
  }
  run.dtmf = () => true
  run.afterDtmf = (digit) => {
    if (!terminatorHit(ch, digit) || !player) return
    ch.setVar('playback_terminator_used', digit)
    stop('FILE PLAYED')
  }
  once()
}

function setPlaybackVars(ch: Channel, m: Media): void {
  const ms = m.parts.reduce((s, p) => s + (Number.isFinite(p.ms) ? p.ms : 0), 0)
  ch.setVar('playback_seconds', String(Math.floor(ms / 1000)))
  ch.setVar('playback_ms', String(ms))
  ch.setVar('playback_samples', String(ms * 8))
}

/**
 * endless_playback: restarts the file forever. uuid_break (with or without `all`) only restarts it
 * (PLAYBACK_STOP + PLAYBACK_START, no EXECUTE_COMPLETE); a bridge, uuid_park or hangup ends it with
 * "PLAYBACK ERROR"; DTMF is not reported while it runs (captures: inbound-moh-break, inbound-dtmf).
 */
function endlessPlayback(sim: FreeSwitchSimulator, ch: Channel, run: RunningApp, complete: (r?: string) => void): void {
  const call = run.call
  sim.executeEvent(ch, call)
  const media = resolveMedia(sim, call.arg)
  if (!media) {
    complete('FILE NOT FOUND')
    return
  }
  let player: { stop(interrupted: boolean): void } | undefined
  const start = (): void => {
    sim.channelEvent(ch, 'PLAYBACK_START', playbackHeaders(media))
    player = playParts(sim, ch, media, () => {
      sim.channelEvent(ch, 'PLAYBACK_STOP', playbackHeaders(media, 'done'))
      start()
    })
  }
  // Digits pressed meanwhile are not reported; when the app ends (uuid_park) only the first one
  // surfaces and the rest are lost (capture: inbound-dtmf, '12#' -> '1').
  const held: string[] = []
  run.interrupt = (reason: Reason) => {
    player?.stop(true)
    sim.channelEvent(ch, 'PLAYBACK_STOP', playbackHeaders(media, 'break'))
    if (reason === 'break' || reason === 'break-all') {
      start()
      return false
    }
    complete('PLAYBACK ERROR')
    if (held.length && reason !== 'hangup') sim.dtmfEvent(ch, held[0])
    return true
  }
  run.dtmf = (digit) => {
    held.push(digit)
    return false
  }
  start()
}

/**
 * record <path> [<max secs>] [<silence thresh>] [<silence hits secs>]: RECORD_START, then stops on a
 * playback terminator, after <silence hits> seconds of a silent caller, or at <max secs> for a caller
 * who talks (SimCall.talk); Application-Response _none_ (capture: inbound-record).
 */
function record(sim: FreeSwitchSimulator, ch: Channel, run: RunningApp, complete: (r?: string) => void): void {
  const call = run.call
  const [path, maxS, , hitsS] = call.arg.split(/\s+/)
  const max = Number(maxS) > 0 ? Number(maxS) * 1000 : Infinity
  const hits = Number(hitsS) > 0 ? Number(hitsS) * 1000 : Infinity
  sim.executeEvent(ch, call)
  const started = sim.clock.now()
  sim.channelEvent(ch, 'RECORD_START', [['Record-File-Path', path]])
  const talking = ch.talking
  const limit = talking ? max : Math.min(hits, max)
  let ended = false
  const end = (recordedMs: number, silenceExhausted: boolean): void => {
    if (ended) return
    ended = true
    sim.cancel(ch, timer)
    ch.setVar('silence_hits_exhausted', silenceExhausted ? 'true' : 'false')
    const wav = makeWav(recordedMs)
    // Written only where the directory already exists (tests must not create FreeSWITCH's tree).
    if (existsSync(dirname(path))) {
      try {
        writeFileSync(path, wav)
      } catch {
        /* not writable: the simulator still reports the recording */
      }
    }
    ch.setVar('record_file_size', String(wav.length))
    ch.setVar('record_seconds', String(Math.floor(recordedMs / 1000)))
    ch.setVar('record_ms', String(recordedMs))
    ch.setVar('record_samples', String(recordedMs * 8))
    sim.channelEvent(ch, 'RECORD_STOP', [['Record-File-Path', path]])
    complete('_none_')
  }
  const timer = Number.isFinite(limit)
    ? sim.later(ch, limit, () => end(talking ? limit : 0, !talking && hits <= max))
    : undefined
  run.interrupt = () => {
    end(talking ? sim.clock.now() - started : 0, false)
    return true
  }
  run.dtmf = () => true
  run.afterDtmf = (digit) => {
    if (!terminatorHit(ch, digit)) return
    ch.setVar('playback_terminator_used', digit)
    end(sim.clock.now() - started, false)
  }
}
