import { closeSync, openSync, readSync } from 'node:fs'

/**
 * Duration in milliseconds of a RIFF/WAVE file, from its header: data chunk size / byte rate
 * (fmt chunk). Returns undefined when the file is missing or is not a WAV FreeSWITCH could open.
 */
export function wavDurationMs(path: string): number | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined
  }
  try {
    const head = Buffer.alloc(4096)
    const n = readSync(fd, head, 0, head.length, 0)
    return parseWavDuration(head.subarray(0, n))
  } finally {
    closeSync(fd)
  }
}

/** Duration from the first bytes of a WAV file (enough to hold the fmt chunk and the data chunk header). */
function parseWavDuration(buf: Buffer): number | undefined {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    return undefined
  let pos = 12
  let byteRate = 0
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4)
    const size = buf.readUInt32LE(pos + 4)
    if (id === 'fmt ' && pos + 20 <= buf.length) byteRate = buf.readUInt32LE(pos + 16)
    if (id === 'data') {
      if (!byteRate) return undefined
      return Math.round((size * 1000) / byteRate)
    }
    pos += 8 + size + (size & 1)
  }
  return undefined
}

/** A minimal PCM WAV (header + silence) of the given length, 8 kHz mono 16-bit; for tests and demos. */
export function makeWav(durationMs: number, rate = 8000): Buffer {
  const data = Math.round((rate * 2 * durationMs) / 1000)
  const b = Buffer.alloc(44 + data)
  b.write('RIFF', 0, 'ascii')
  b.writeUInt32LE(36 + data, 4)
  b.write('WAVE', 8, 'ascii')
  b.write('fmt ', 12, 'ascii')
  b.writeUInt32LE(16, 16)
  b.writeUInt16LE(1, 20)
  b.writeUInt16LE(1, 22)
  b.writeUInt32LE(rate, 24)
  b.writeUInt32LE(rate * 2, 28)
  b.writeUInt16LE(2, 32)
  b.writeUInt16LE(16, 34)
  b.write('data', 36, 'ascii')
  b.writeUInt32LE(data, 40)
  return b
}
