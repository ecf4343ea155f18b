/**
 * Request bodies and query strings of the API: JSON bodies read whole (1 MB cap, 413 beyond it, 415 for another
 * content type), uploads streamed to a temporary file under a size cap (413, the file removed), query values
 * converted to their declared types and validated. The Fastify server (server.ts) hands every body stream here
 * from its one content-type parser, so the limits and error bodies are the API's own.
 */
import type { IncomingMessage } from 'node:http'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ApiError, validation } from './errors.js'
import type { Route } from './router.js'
import { validate, type JsonSchema } from './validate.js'

export const JSON_LIMIT = 1024 * 1024

/** 413 with the JSON error; the connection is closed after it (the rest of the body is not read). */
export function tooLarge(max: number): ApiError {
  return Object.assign(new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body larger than ${max} bytes`), {
    closeConnection: true,
  })
}

/** A declared Content-Length over the limit is refused before a byte is read. */
function checkDeclaredLength(req: IncomingMessage, max: number): void {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max)
}

/** Stop reading a request whose body is too large: what is still in flight is discarded, not kept. */
function abandonBody(req: IncomingMessage): void {
  req.removeAllListeners('data')
  req.resume()
}

/** The whole body into memory, refused with 413 once it passes `max` bytes (JSON bodies: 1 MB). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  checkDeclaredLength(req, max)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        abandonBody(req)
        reject(tooLarge(max))
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * The body streamed to a new temporary file in `dir` (mode 0600), never held in memory; refused with 413 (and the
 * file removed) once it passes `max` bytes. The caller removes the file when done.
 */
export async function receiveToFile(
  req: IncomingMessage,
  dir: string,
  max: number,
): Promise<{ path: string; size: number }> {
  checkDeclaredLength(req, max)
  await mkdir(dir, { recursive: true })
  const path = join(dir, `.upload-${randomBytes(8).toString('hex')}`)
  const out = createWriteStream(path, { mode: 0o600, flags: 'wx' })
  let size = 0
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length
      if (size > max) done(tooLarge(max))
      else done(null, chunk)
    },
  })
  try {
    await pipeline(req, limit, out)
    return { path, size }
  } catch (err) {
    await rm(path, { force: true })
    if (err instanceof ApiError) {
      abandonBody(req)
      throw err
    }
    if (req.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')
      throw new ApiError(400, 'VALIDATION', 'the upload was interrupted', 'body')
    throw err
  }
}

/** Convert query-string values to the declared types (integers), then validate. */
export function parseQuery(route: Route, url: URL): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const q of route.query ?? []) {
    const raw = url.searchParams.get(q.name)
    if (raw === null) {
      if (q.required) throw validation(q.name, `${q.name}: is required`)
      continue
    }
    const schema = q.schema as JsonSchema & { type?: string }
    const value = schema.type === 'integer' || schema.type === 'number' ? (raw.trim() === '' ? NaN : Number(raw)) : raw
    validate(q.schema, value, q.name)
    out[q.name] = value
  }
  return out
}

/** A JSON body: empty → undefined; another content type → 415; not JSON → 400. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req, JSON_LIMIT)
  if (buf.length === 0) return undefined
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (ct !== 'application/json')
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json')
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    throw validation('', 'body: not valid JSON')
  }
}

/** Whether a content type is one of a raw route's (wildcards like audio/* allowed). */
export function acceptsType(contentTypes: readonly string[], header: string | undefined): boolean {
  const ct = (header ?? '').split(';')[0].trim().toLowerCase()
  return contentTypes.some((t) => (t.endsWith('/*') ? ct.startsWith(t.slice(0, -1)) : ct === t))
}
