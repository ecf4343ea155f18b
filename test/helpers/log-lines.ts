/**
 * A pino destination that keeps the JSON lines a test reads back (pino's test/helper.js sink(), in spirit).
 *
 *   const { lines, stream } = logLines()
 *   const log = pino({ level: 'debug' }, stream)
 *   …; t.match(lines.find((l) => l.msg === '…'), { err: { message: /…/ } })
 */
import { Writable } from 'node:stream'
import pino from 'pino'

export function logLines<L = Record<string, unknown>>(): { lines: L[]; stream: Writable } {
  const lines: L[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as L)
      cb()
    },
  })
  return { lines, stream }
}

/** A logger at `level` whose lines the test reads. */
export function capture(level: pino.Level = 'debug'): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const { lines, stream } = logLines()
  return { log: pino({ level }, stream), lines }
}
