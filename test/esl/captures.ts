/** Locating and loading the raw FreeSWITCH captures (../shared/esl-captures beside the clone). */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return process.cwd()
}

/** The captures directory: $KOPLUS_ESL_CAPTURES, else <repo>/../shared/esl-captures, else /work/shared/esl-captures. */
export function capturesDir(): string {
  const env = process.env.KOPLUS_ESL_CAPTURES
  if (env && existsSync(env)) return env
  const beside = resolve(findRepoRoot(), '..', 'shared', 'esl-captures')
  if (existsSync(beside)) return beside
  return '/work/shared/esl-captures'
}

/** Names (without .rx.txt) of every capture, sorted. */
export function captureNames(): string[] {
  return readdirSync(capturesDir())
    .filter((f) => f.endsWith('.rx.txt'))
    .map((f) => f.slice(0, -'.rx.txt'.length))
    .sort()
}

export function readRx(name: string): Buffer {
  return readFileSync(join(capturesDir(), name + '.rx.txt'))
}

/** The recorded rx reads of a capture, in order. */
export function readRxChunks(name: string): Buffer[] {
  const entries = JSON.parse(readFileSync(join(capturesDir(), name + '.chunks.json'), 'utf8')) as Array<{
    dir: string
    b64: string
  }>
  return entries.filter((e) => e.dir === 'rx').map((e) => Buffer.from(e.b64, 'base64'))
}

export function readTx(name: string): string {
  return readFileSync(join(capturesDir(), name + '.tx.txt'), 'utf8')
}
