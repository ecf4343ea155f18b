/**
 * Incremental framing of the FreeSWITCH Event Socket byte stream.
 *
 * A frame is a block of `Name: value\n` header lines ended by an empty line (`\n\n`), followed,
 * when the headers carry `Content-Length: N`, by exactly N bytes of body (mod_event_socket.c
 * writes every reply/event this way; command/reply frames have no Content-Length at all).
 *
 * Everything works on Buffers: the body is cut by byte count and nothing is decoded to text
 * before it has been cut, so multi-byte UTF-8 characters split across TCP reads are safe.
 * The end of the header block may itself be split across reads (one `\n` in each read).
 * The parser never recurses per frame: a single read holding 100,000 frames is a flat loop.
 *
 * Nothing of a chunk is kept after `push` returns: a partial header block is copied, and a body that spans reads is
 * copied into one buffer of its full length. The frames returned may point into the chunk, so a caller may read
 * into one buffer over and over (net's `onread`, client.ts) as long as it is done with the frames before the next
 * read.
 */
import { EslFramingError } from './errors.js'

/** One ESL frame: the outer envelope headers (raw, not URL-decoded) and the body bytes if any. */
export interface EslFrame {
  headers: Record<string, string>
  body?: Buffer
}

const LF = 0x0a
const EMPTY = Buffer.alloc(0)
/** A body longer than this (1 GiB) is a framing error: its buffer is allocated at its full length when it starts. */
export const MAX_BODY = 2 ** 30

/** Thrown (from push) for a Content-Length that is not a non-negative integer; the parser is reset. */
export { EslFramingError }

/** Sets a header on a plain object without letting a `__proto__` header touch the prototype. */
export function setHeader(target: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__')
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true })
  else target[name] = value
}

/**
 * Parses `Name: value` lines (separated by `\n`, a trailing `\r` tolerated) into an object.
 * A line without a colon is kept as a header with an empty value; a repeated name keeps the last.
 */
function parseHeaderLines(text: string): Record<string, string> {
  const headers: Record<string, string> = {}
  let start = 0
  const len = text.length
  while (start < len) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = len
    let lineEnd = end
    if (lineEnd > start && text.charCodeAt(lineEnd - 1) === 13) lineEnd--
    if (lineEnd > start) {
      const colon = text.indexOf(':', start)
      if (colon === -1 || colon >= lineEnd) {
        setHeader(headers, text.slice(start, lineEnd), '')
      } else {
        let v = colon + 1
        if (v < lineEnd && text.charCodeAt(v) === 32) v++
        setHeader(headers, text.slice(start, colon), text.slice(v, lineEnd))
      }
    }
    start = end + 1
  }
  return headers
}

/**
 * Incremental ESL frame parser. Feed it every chunk read from the socket, in order; it returns
 * the frames completed by that chunk (possibly none, possibly many).
 */
export class EslParser {
  /** Unconsumed bytes while looking for the end of a header block. */
  #buf: Buffer = EMPTY
  /** Where to resume the search for `\n\n` in #buf (bytes before it are known not to end headers). */
  #scanFrom = 0
  /** Headers of the frame whose body is being collected, or undefined while reading headers. */
  #pendingHeaders: Record<string, string> | undefined
  /** The body being collected for #pendingHeaders (its full length), and how much of it has come. */
  #body: Buffer = EMPTY
  #bodyHave = 0

  /** Bytes held in the parser that do not yet form a whole frame. */
  get bufferedBytes(): number {
    return this.#buf.length + this.#bodyHave
  }

  /** Drops any partial frame (e.g. after the socket closed and before a new connection). */
  reset(): void {
    this.#buf = EMPTY
    this.#scanFrom = 0
    this.#pendingHeaders = undefined
    this.#body = EMPTY
    this.#bodyHave = 0
  }

  push(chunk: Buffer): EslFrame[] {
    const frames: EslFrame[] = []
    if (chunk.length === 0) return frames
    let buf: Buffer
    if (this.#pendingHeaders !== undefined) {
      // Collecting a body: copied into one buffer of its length, so a 10 MB body in 64 KiB reads costs one copy,
      // not a quadratic series of them.
      const body = this.#body
      const take = Math.min(body.length - this.#bodyHave, chunk.length)
      chunk.copy(body, this.#bodyHave, 0, take)
      this.#bodyHave += take
      if (this.#bodyHave < body.length) return frames
      frames.push({ headers: this.#pendingHeaders, body })
      buf = chunk.subarray(take)
      this.#pendingHeaders = undefined
      this.#body = EMPTY
      this.#bodyHave = 0
      this.#scanFrom = 0
    } else if (this.#buf.length === 0) {
      buf = chunk
    } else {
      buf = Buffer.concat([this.#buf, chunk], this.#buf.length + chunk.length)
    }

    let pos = 0
    let scan = this.#scanFrom
    const len = buf.length
    for (;;) {
      // Stray newlines between frames carry nothing; skip them rather than emit empty frames.
      while (pos < len && buf[pos] === LF) pos++
      if (scan < pos) scan = pos
      if (pos >= len) {
        this.#buf = EMPTY
        this.#scanFrom = 0
        return frames
      }
      // Find "\n\n": the first LF at or after `scan` that is followed by another LF.
      let end = -1
      let i = scan
      while (i < len) {
        const nl = buf.indexOf(LF, i)
        if (nl === -1 || nl + 1 >= len) break
        if (buf[nl + 1] === LF) {
          end = nl
          break
        }
        i = nl + 1
      }
      if (end === -1) {
        // Header block incomplete: keep a copy; resume at its last byte (it may be the first LF).
        this.#buf = Buffer.from(buf.subarray(pos))
        this.#scanFrom = Math.max(0, len - 1 - pos)
        return frames
      }
      const headers = parseHeaderLines(buf.toString('utf8', pos, end))
      pos = end + 2
      scan = pos
      const cl = headers['Content-Length']
      if (cl === undefined) {
        frames.push({ headers })
        continue
      }
      const n = parseContentLength(cl)
      if (n < 0 || n > MAX_BODY) {
        this.reset()
        throw new EslFramingError(`bad Content-Length ${JSON.stringify(cl.slice(0, 40))}`)
      }
      if (n === 0) {
        frames.push({ headers, body: EMPTY })
        continue
      }
      if (len - pos >= n) {
        frames.push({ headers, body: buf.subarray(pos, pos + n) })
        pos += n
        scan = pos
        continue
      }
      // Body incomplete: wait for more reads.
      this.#pendingHeaders = headers
      this.#body = Buffer.allocUnsafe(n)
      this.#bodyHave = buf.copy(this.#body, 0, pos)
      this.#buf = EMPTY
      this.#scanFrom = 0
      return frames
    }
  }
}

/** The byte count of a Content-Length header, or -1 if it is not a plain non-negative integer. */
function parseContentLength(value: string): number {
  const v = value.trim()
  return /^\d{1,15}$/.test(v) ? Number(v) : -1
}
