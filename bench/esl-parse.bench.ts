/**
 * ESL parsing benchmark: our EslParser (+ event decoding) beside modesl's Parser, on the same
 * input in the same run. Input: every json capture, and every plain capture, of
 * ../shared/esl-captures concatenated and cut into 64 KiB reads (as a socket delivers them),
 * repeated to at least 200 MB per format. One thread (Node's main thread), no I/O.
 */
import { EventEmitter } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EslParser } from '../src/freeswitch/esl/parser.js'
import { eventFromFrame } from '../src/freeswitch/esl/event.js'

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
  const files = readdirSync(dir).filter((f) => f.endsWith(`.${format}.rx.txt`)).sort()
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
}

function ours(chunks: Buffer[], reps: number, decodeEvents: boolean): Figures {
  let frames = 0
  let bytes = 0
  let names = 0
  const t0 = process.hrtime.bigint()
  for (let r = 0; r < reps; r++) {
    const parser = new EslParser()
    for (const c of chunks) {
      bytes += c.length
      const fs = parser.push(c)
      frames += fs.length
      if (decodeEvents) {
        for (const f of fs) {
          const ev = eventFromFrame(f)
          if (ev) names += ev.name.length
        }
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  if (decodeEvents && names === 0) throw new Error('no events decoded')
  return { frames, bytes, seconds }
}

type ModeslParser = new (socket: EventEmitter) => EventEmitter

function modesl(Parser: ModeslParser, chunks: Buffer[], reps: number): Figures {
  let frames = 0
  let bytes = 0
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
  return { frames, bytes, seconds }
}

function line(label: string, f: Figures): string {
  const fps = f.frames / f.seconds
  const mbs = f.bytes / MB / f.seconds
  return `  ${label.padEnd(40)} ${(fps / 1000).toFixed(0).padStart(7)}k frames/s ${mbs.toFixed(1).padStart(8)} MB/s   (${f.frames} frames, ${(f.bytes / MB).toFixed(0)} MB, ${f.seconds.toFixed(2)} s)`
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
  console.log(`node ${process.version}, one thread; input cut into ${READ_SIZE / 1024} KiB reads; captures: ${capturesDir()}`)
  for (const format of ['json', 'plain'] as const) {
    const buf = corpus(format)
    const chunks = reads(buf)
    const reps = Math.ceil(TARGET_BYTES / buf.length)
    // Sanity: both parsers see the same number of frames in one pass.
    const oursOne = ours(chunks, 1, true)
    if (Parser) {
      const theirsOne = modesl(Parser, chunks, 1)
      if (theirsOne.frames !== oursOne.frames) {
        console.log(`  WARNING: modesl saw ${theirsOne.frames} frames, ours ${oursOne.frames}`)
      }
    }
    console.log(`\n${format}: ${(buf.length / MB).toFixed(2)} MB of captures (${oursOne.frames} frames) x ${reps} = ${((buf.length * reps) / MB).toFixed(0)} MB`)
    console.log(line('koplus EslParser (framing only)', ours(chunks, reps, false)))
    console.log(line('koplus EslParser + eventFromFrame', ours(chunks, reps, true)))
    if (Parser) console.log(line(`modesl ${modeslVersion} Parser (frames + events)`, modesl(Parser, chunks, reps)))
  }
}
