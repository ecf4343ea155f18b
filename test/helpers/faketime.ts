/**
 * libfaketime (Debian package `faketime`) for tests that run a process at a set clock. The library is preloaded
 * directly (LD_PRELOAD + FAKETIME) rather than through the `faketime` wrapper: the wrapper creates a named POSIX
 * semaphore per run and fails with "sem_open: File exists" when a stale one of a reused pid is left over.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** The path of libfaketime.so.1, or undefined when the package is not installed. */
export function libfaketime(): string | undefined {
  const candidates = [
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/faketime/libfaketime.so.1',
  ]
  try {
    for (const d of readdirSync('/usr/lib')) candidates.push(join('/usr/lib', d, 'faketime/libfaketime.so.1'))
  } catch {
    // no /usr/lib
  }
  return candidates.find((p) => existsSync(p))
}

/**
 * Environment variables that run a child process with its clock `offsetMs` (whole seconds) ahead of this process's
 * clock. When this process itself runs on a shifted clock (FAKETIME), the child's offset from the real clock adds
 * that shift, since the child's FAKETIME replaces it.
 */
export function faketimeEnv(lib: string, offsetMs: number): NodeJS.ProcessEnv {
  const s = Math.round((offsetMs + outerOffsetMs()) / 1000)
  return { LD_PRELOAD: lib, FAKETIME: `${s >= 0 ? '+' : ''}${s}s`, FAKETIME_DONT_FAKE_MONOTONIC: '1' }
}

/** A relative FAKETIME offset ("+1700d", "-3000d", "+90s", "-2h") in ms, or 0 (unset or not an offset). */
export function outerOffsetMs(faketime: string | undefined = process.env.FAKETIME): number {
  const m = /^([+-]\d+(?:\.\d+)?)([smhdy]?)$/.exec(faketime?.trim() ?? '')
  if (!m) return 0
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, y: 365 * 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'y']
  return Number(m[1]) * unit * 1000
}

/**
 * The clock settings of this process's environment (libfaketime's LD_PRELOAD and FAKETIME, set when the suite runs
 * on a shifted clock: scripts/test-any-clock.sh), for a child process started with an environment of its own, so
 * that it keeps the same clock as the test. Empty on an ordinary run.
 */
export function clockEnv(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const k of ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_DONT_FAKE_MONOTONIC'])
    if (process.env[k] !== undefined) out[k] = process.env[k]
  return out
}

/**
 * The environment for a browser started by a test: this process's, without libfaketime's preload (Chromium's
 * processes do not load pages under it). A test that needs the page's clock sets it with Playwright's clock API.
 */
export function browserEnv(): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, FAKETIME: _faketime, ...rest } = process.env
  return rest
}
