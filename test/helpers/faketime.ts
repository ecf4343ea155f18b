/**
 * libfaketime (Debian package `faketime`) for tests that run a process at a set clock. The library is preloaded
 * directly (LD_PRELOAD + FAKETIME) rather than through the `faketime` wrapper: the wrapper creates a named POSIX
 * semaphore per run and fails with "sem_open: File exists" when a stale one of a reused pid is left over.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** The path of libfaketime.so.1, or undefined when the package is not installed. */
export function libfaketime(): string | undefined {
  const candidates = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1']
  try {
    for (const d of readdirSync('/usr/lib')) candidates.push(join('/usr/lib', d, 'faketime/libfaketime.so.1'))
  } catch {
    // no /usr/lib
  }
  return candidates.find((p) => existsSync(p))
}

/** Environment variables that run a child process with its clock moved by `offsetMs` (whole seconds). */
export function faketimeEnv(lib: string, offsetMs: number): NodeJS.ProcessEnv {
  const s = Math.round(offsetMs / 1000)
  return { LD_PRELOAD: lib, FAKETIME: `${s >= 0 ? '+' : ''}${s}s`, FAKETIME_DONT_FAKE_MONOTONIC: '1' }
}
