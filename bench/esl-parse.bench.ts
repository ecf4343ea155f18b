/**
 * ESL parsing benchmark: our EslParser (+ event decoding) beside modesl's Parser, on the same
 * input in the same run. Input: every json capture, and every plain capture, of
 * ../shared/esl-captures concatenated and cut into 64 KiB reads (as a socket delivers them),
 * repeated to at least 200 MB per format. One thread (Node's main thread), no I/O.
 * Rates are given per wall-clock second and per CPU second of this process (process.cpuUsage): on a shared host the
 * wall figure drops with the load, the CPU one much less. Three ways through our client's path:
 *   - framing only (EslParser);
 *   - full decode: every event frame decoded (eventFromFrame: every header's name and value read and unescaped), as
 *     a client subscribed to ALL does; "+ header object" also builds the object of all headers (EslEvent#headers),
 *     which json events build only when asked (src/freeswitch/esl/json-event.ts);
 *   - the daemon's subscription: events the daemon does not use are framed and skipped by name (peekLeadingEventName,
 *     then peekEventName, Subscriptions#wants, as EslClient does), the rest decoded and read as the daemon reads
 *     them (DAEMON_LOOKUPS: the headers it asks for, by event, counted in a run of bench/scale-daemon).
 */
import { EventEmitter } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EslParser } from '../src/freeswitch/esl/parser.js'
import { eventFromFrame, peekEventName, peekLeadingEventName, type EslEvent } from '../src/freeswitch/esl/event.js'
import { Subscriptions } from '../src/freeswitch/esl/subscriptions.js'
import { DAEMON_EVENTS } from '../src/daemon/daemon.js'

const MB = 1024 * 1024
const TARGET_BYTES = 200 * MB
const READ_SIZE = 64 * 1024

function capturesDir(): string {
  const env = process.env.KOPLUS_ESL_CAPTURES
  if (env && existsSync(env)) return env
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const beside = resolve(dir, '..', 'shared', 'esl-captures')
      if (existsSync(beside)) return beside
      break
    }
    dir = dirname(dir)
  }
  return '/work/shared/esl-captures'
}

function corpus(format: 'json' | 'plain'): Buffer {
  const dir = capturesDir()
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(`.${format}.rx.txt`))
    .sort()
  return Buffer.concat(files.map((f) => readFileSync(join(dir, f))))
}

function reads(buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < buf.length; i += READ_SIZE) out.push(buf.subarray(i, i + READ_SIZE))
  return out
}

interface Figures {
  frames: number
  bytes: number
  seconds: number
  cpuSeconds: number
  decoded?: number
  skipped?: number
  /** Event frames whose name peekEventName could not read (decoded to learn it). */
  unpeeked?: number
}

type Decode = 'none' | 'all' | 'object' | 'daemon'

const daemonSubs = new Subscriptions(DAEMON_EVENTS)

/**
 * The headers the daemon reads of each event (beyond Event-Name and Unique-ID, which decoding reads), as counted in
 * a run of bench/scale-daemon at 1,000 waiting (2.3 lookups per event on average).
 */
const DAEMON_LOOKUPS: Record<string, string[]> = {
  CHANNEL_EXECUTE: ['Application-UUID', 'Event-Date-Timestamp'],
  CHANNEL_EXECUTE_COMPLETE: [
    'Application-UUID',
    'Application-Response',
    'variable_current_loop',
    'variable_total_loops',
  ],
  CHANNEL_PARK: [
    'variable_koplus_role',
    'variable_koplus_check_id',
    'variable_koplus_queue',
    'variable_koplus_feature',
    'Answer-State',
    'Caller-Caller-ID-Number',
    'Caller-Caller-ID-Name',
  ],
  CHANNEL_ANSWER: ['Application-UUID'],
  CHANNEL_PROGRESS_MEDIA: ['Application-UUID'],
  CHANNEL_HANGUP: ['Hangup-Cause'],
  CHANNEL_BRIDGE: ['Other-Leg-Unique-ID'],
  BACKGROUND_JOB: ['Job-UUID'],
  PLAYBACK_STOP: ['Application-UUID', 'Playback-Status'],
}

/** Reads what the daemon reads of an event; returns the characters read (kept, so the reads are not optimised away). */
function daemonReads(ev: EslEvent): number {
  let n = 0
  for (const h of DAEMON_LOOKUPS[ev.name] ?? []) n += ev.get(h)?.length ?? 0
  return n
}

function ours(chunks: Buffer[], reps: number, decode: Decode): Figures {
  let frames = 0
  let bytes = 0
  let names = 0
  let decoded = 0
  let skipped = 0
  let unpeeked = 0
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let r = 0; r < reps; r++) {
    const parser = new EslParser()
    for (const c of chunks) {
      bytes += c.length
      const fs = parser.push(c)
      frames += fs.length
      if (decode === 'none') continue
      for (const f of fs) {
        let leading: string | undefined
        if (decode === 'daemon') {
          leading = peekLeadingEventName(f)
          if (leading === undefined || !daemonSubs.wants(leading)) {
            leading = undefined
            const name = peekEventName(f)
            if (name === undefined && f.headers['Content-Type']?.startsWith('text/event-')) unpeeked++
            if (name !== undefined && !daemonSubs.wants(name)) {
              skipped++
              continue
            }
          }
        }
        const ev = eventFromFrame(f)
        if (ev) {
          if (decode === 'daemon') {
            if (leading !== undefined && ev.name !== leading && !daemonSubs.wants(ev.name)) {
              skipped++
              continue
            }
            names += daemonReads(ev)
          }
          names += ev.name.length
          if (decode === 'object') names += ev.headers['Event-Name'].length
          decoded++
        }
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(c0)
  if (decode !== 'none' && names === 0) throw new Error('no events decoded')
  return { frames, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, decoded, skipped, unpeeked }
}

type ModeslParser = new (socket: EventEmitter) => EventEmitter

function modesl(Parser: ModeslParser, chunks: Buffer[], reps: number): Figures {
  let frames = 0
  let bytes = 0
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let r = 0; r < reps; r++) {
    const socket = new EventEmitter()
    const parser = new Parser(socket)
    parser.on('esl::event', () => {
      frames++
    })
    for (const c of chunks) {
      bytes += c.length
      socket.emit('data', c)
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(c0)
  return { frames, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
}

function line(label: string, f: Figures): string {
  const fps = f.frames / f.seconds
  const cps = f.frames / f.cpuSeconds
  const mbs = f.bytes / MB / f.seconds
  const skip = f.skipped
    ? `, ${f.skipped} skipped undecoded (${((f.skipped / f.frames) * 100).toFixed(0)} %; event name unread for ${f.unpeeked ?? 0})`
    : ''
  const dec = f.decoded !== undefined ? `, ${f.decoded} decoded${skip}` : ''
  return `  ${label.padEnd(44)} ${(fps / 1000).toFixed(0).padStart(6)}k frames/s ${(cps / 1000).toFixed(0).padStart(6)}k frames/CPU-s ${mbs.toFixed(1).padStart(8)} MB/s   (${f.frames} frames${dec}, ${(f.bytes / MB).toFixed(0)} MB, ${f.seconds.toFixed(2)} s, ${f.cpuSeconds.toFixed(2)} CPU-s)`
}

export default async function (): Promise<void> {
  const require = createRequire(import.meta.url)
  let Parser: ModeslParser | undefined
  let modeslVersion = '?'
  try {
    Parser = require('modesl/lib/esl/Parser.js') as ModeslParser
    modeslVersion = (require('modesl/package.json') as { version: string }).version
  } catch (err) {
    console.log(`modesl not available (${(err as Error).message}); only our parser is measured`)
  }
  console.log(
    `node ${process.version}, one thread; input cut into ${READ_SIZE / 1024} KiB reads; captures: ${capturesDir()}`,
  )
  for (const format of ['json', 'plain'] as const) {
    const buf = corpus(format)
    const chunks = reads(buf)
    const reps = Math.ceil(TARGET_BYTES / buf.length)
    // Sanity: both parsers see the same number of frames in one pass.
    const oursOne = ours(chunks, 1, 'all')
    if (Parser) {
      const theirsOne = modesl(Parser, chunks, 1)
      if (theirsOne.frames !== oursOne.frames) {
        console.log(`  WARNING: modesl saw ${theirsOne.frames} frames, ours ${oursOne.frames}`)
      }
    }
    console.log(
      `\n${format}: ${(buf.length / MB).toFixed(2)} MB of captures (${oursOne.frames} frames) x ${reps} = ${((buf.length * reps) / MB).toFixed(0)} MB`,
    )
    console.log(line('koplus EslParser (framing only)', ours(chunks, reps, 'none')))
    const full = ours(chunks, reps, 'all')
    console.log(line('koplus full decode (every event)', full))
    console.log(line('koplus full decode + header object', ours(chunks, reps, 'object')))
    console.log(line('koplus, daemon subscription (rest skipped)', ours(chunks, reps, 'daemon')))
    if (Parser) {
      const theirs = modesl(Parser, chunks, reps)
      console.log(line(`modesl ${modeslVersion} Parser (frames + events)`, theirs))
      const ratio = (a: Figures, b: Figures, k: 'seconds' | 'cpuSeconds'): string =>
        (a.frames / a[k] / (b.frames / b[k])).toFixed(2)
      console.log(
        `  full decode vs modesl: ×${ratio(full, theirs, 'seconds')} (wall), ×${ratio(full, theirs, 'cpuSeconds')} (CPU)`,
      )
    }
  }
}
