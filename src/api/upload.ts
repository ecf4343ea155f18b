/**
 * A multipart/form-data upload (@fastify/multipart): its one file part streamed to a new temporary file (mode
 * 0600) in `dir`, never held in memory, under a size cap — over it the answer is 413 and the file is removed. The
 * caller removes the file when done. Raw uploads (audio/* bodies) go through body.ts receiveToFile instead.
 */
import type { FastifyRequest } from 'fastify'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { tooLarge } from './body.js'
import { ApiError, validation } from './errors.js'

export async function receiveMultipartFile(
  request: FastifyRequest,
  dir: string,
  max: number,
): Promise<{ path: string; size: number; contentType: string }> {
  let part
  try {
    part = await request.file({ limits: { fileSize: max, files: 1 } })
  } catch (err) {
    throw new ApiError(400, 'VALIDATION', `not a readable multipart body: ${(err as Error).message}`, 'body')
  }
  if (!part) throw validation('file', 'file: the multipart body has no file part')
  await mkdir(dir, { recursive: true })
  const path = join(dir, `.upload-${randomBytes(8).toString('hex')}`)
  let size = 0
  part.file.on('data', (chunk: Buffer) => {
    size += chunk.length
  })
  try {
    await pipeline(part.file, createWriteStream(path, { mode: 0o600, flags: 'wx' }))
    if (part.file.truncated) throw tooLarge(max)
  } catch (err) {
    await rm(path, { force: true })
    if ((err as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(max)
    if (err instanceof ApiError) throw err
    throw new ApiError(400, 'VALIDATION', 'the upload was interrupted', 'body')
  }
  return { path, size, contentType: part.mimetype }
}
