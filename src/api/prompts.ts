/**
 * Prompt import (SPEC D3): any audio file sox can read → 8 kHz mono 16-bit WAV, loudness-normalised (peak
 * normalised to -3 dBFS with `gain -n -3`). The upload arrives as a temporary file (streamed there by the server
 * under a size cap, never held in memory); the WAV is written under a temporary name
 * and renamed over the old one only when sox succeeded, so a bad or empty upload replaces nothing.
 */
import { execFile } from 'node:child_process'
import { mkdir, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ApiError } from './errors.js'

interface ConvertOptions {
  soxPath: string
  dir: string
  /** File name without extension (sanitised here). */
  baseName: string
  contentType?: string
}

/** sox's input type from a content type, when the body alone is not enough (raw streams have no header). */
function soxType(contentType: string | undefined): string | undefined {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase()
  const map: Record<string, string> = {
    'audio/wav': 'wav',
    'audio/x-wav': 'wav',
    'audio/wave': 'wav',
    'audio/mpeg': 'mp3',
    'audio/mp3': 'mp3',
    'audio/ogg': 'ogg',
    'audio/flac': 'flac',
    'audio/x-flac': 'flac',
    'audio/aiff': 'aiff',
    'audio/x-aiff': 'aiff',
  }
  return map[ct]
}

function run(cmd: string, args: string[]): Promise<{ code: number | string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as NodeJS.ErrnoException).code ?? 1) : 0, stderr: String(stderr) })
    })
  })
}

/**
 * Convert an uploaded file (the request body as the server streamed it to a temporary file; the caller removes it);
 * returns the path of the final WAV. Throws 400 (bad/empty file) or 500 SOX_MISSING.
 */
export async function convertPrompt(upload: { path: string; size: number }, opts: ConvertOptions): Promise<string> {
  if (upload.size === 0) throw new ApiError(400, 'VALIDATION', 'the uploaded file is empty', 'body')
  await mkdir(opts.dir, { recursive: true })
  const base = opts.baseName.replace(/[^A-Za-z0-9_.-]/g, '_')
  const tmpIn = upload.path
  const tmpOut = join(opts.dir, `.${base}-${randomBytes(6).toString('hex')}.wav`)
  const final = join(opts.dir, `${base}.wav`)
  try {
    const type = soxType(opts.contentType)
    const args = [
      ...(type ? ['-t', type] : []),
      tmpIn,
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '16',
      '-e',
      'signed-integer',
      tmpOut,
      'gain',
      '-n',
      '-3',
    ]
    const { code, stderr } = await run(opts.soxPath, args)
    if (code === 'ENOENT') {
      throw new ApiError(
        500,
        'SOX_MISSING',
        `sox is not installed (looked for '${opts.soxPath}'); install the sox package to import prompts`,
      )
    }
    if (code !== 0) {
      const why = stderr.split('\n').find((l) => l.trim()) ?? 'unknown format'
      throw new ApiError(
        400,
        'VALIDATION',
        `the uploaded file is not audio sox can read: ${why.replace(tmpIn, 'upload').trim()}`,
        'body',
      )
    }
    await rename(tmpOut, final)
    return final
  } finally {
    await rm(tmpOut, { force: true })
  }
}
