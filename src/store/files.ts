/**
 * The database file on disk: its directory made (0700) and the file created 0600 before SQLite opens it, with one
 * clear error for a path that cannot work. The database holds password and session hashes, so nobody but the
 * daemon's user may read it. SQLite gives the -wal and -shm files it creates the permissions of the database file
 * (os_unix.c, findCreateFileMode / robust_open), so a 0600 database means a 0600 WAL.
 *
 * Directories are made one level at a time, not with mkdirSync({ recursive: true }): Node's recursive mkdir loops
 * forever under /proc (mkdir there fails with ENOENT although the parent exists), and it reports a parent that is a
 * file as "EEXIST … mkdir".
 */
import { chmodSync, closeSync, constants, mkdirSync, openSync, statSync, type Stats } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { StoreError } from './errors.js'

/** Modes koplus gives what it creates for the database. */
const DATA_DIR_MODE = 0o700
const DATABASE_FILE_MODE = 0o600

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch (err) {
    // ENOTDIR: a parent is a file; the walk up in ensureDir finds it and names it.
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw fileError(`cannot look at ${path}`, err)
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'no such file or directory (not a place where files can be made)',
    ENOTDIR: 'a part of the path is not a directory',
    ENOSPC: 'no space left on the device',
  }
  return e.code ? `${why[e.code] ?? e.message} (${e.code})` : String((err as Error).message ?? err)
}

function fileError(what: string, err: unknown): StoreError {
  return new StoreError('FILE', `${what}: ${reason(err)}`, undefined, { cause: err })
}

/**
 * Makes `dir` and any missing parents (each new one 0700). Throws StoreError('FILE') with one clear line when a
 * parent is a file or a directory cannot be made. Returns the directories it created, outermost first.
 */
export function ensureDir(dir: string): string[] {
  const target = resolve(dir)
  const missing: string[] = []
  let at = target
  for (;;) {
    const st = statOrUndefined(at)
    if (st) {
      if (!st.isDirectory()) {
        throw new StoreError(
          'FILE',
          at === target
            ? `${at} is a file, not a directory`
            : `${at} is a file, not a directory, so ${target} cannot be made`,
        )
      }
      break
    }
    missing.unshift(at)
    const up = dirname(at)
    if (up === at) break
    at = up
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: DATA_DIR_MODE })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(d)?.isDirectory()) continue // made meanwhile
      throw fileError(`cannot create the directory ${d}`, err)
    }
  }
  return missing
}

/** What prepareDatabaseFile did, for the log. */
interface PreparedFile {
  createdDirs: string[]
  created: boolean
  /** The old mode, when an existing file (or its -wal/-shm) was readable by others and was tightened to 0600. */
  tightened: { path: string; from: string }[]
  /** Files readable by others that could not be tightened (not ours, e.g. a read-only look by another user). */
  loose: { path: string; mode: string; reason: string }[]
}

/**
 * Before SQLite opens `path`: its directory exists (made 0700 if missing), the file exists with mode 0600 (an
 * existing one readable by group or others is tightened, with its -wal and -shm, or reported in `loose` when it
 * cannot be: opening it is not refused for that). One clear StoreError('FILE')
 * line for a path that cannot work, instead of SQLite's "unable to open database file".
 */
export function prepareDatabaseFile(path: string): PreparedFile {
  const file = resolve(path)
  const createdDirs = ensureDir(dirname(file))
  const st = statOrUndefined(file)
  if (st?.isDirectory()) throw new StoreError('FILE', `${file} is a directory; give the path of the SQLite file`)
  let created = false
  if (!st) {
    let fd: number
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, DATABASE_FILE_MODE)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw fileError(`cannot create the database file ${file}`, err)
      fd = -1 // made meanwhile: treated as existing below
    }
    if (fd >= 0) {
      closeSync(fd)
      created = true
    }
  }
  const tightened: PreparedFile['tightened'] = []
  const loose: PreparedFile['loose'] = []
  for (const p of [file, `${file}-wal`, `${file}-shm`]) {
    const s = statOrUndefined(p)
    if (!s || (s.mode & 0o077) === 0) continue
    const was = (s.mode & 0o777).toString(8).padStart(4, '0')
    try {
      chmodSync(p, DATABASE_FILE_MODE)
      tightened.push({ path: p, from: was })
    } catch (err) {
      loose.push({ path: p, mode: was, reason: reason(err) })
    }
  }
  return { createdDirs, created, tightened, loose }
}
