/**
 * The host's own event-loop floor: a Node process that does nothing but measure its event loop the way the daemon
 * child does (monitorEventLoopDelay, 5 ms resolution). Whatever lateness it reads comes from the host (the CPU
 * shared with the daemon, the simulator, their collector threads and other tenants), not from work of its own: the
 * line under which the daemon's lateness cannot be pushed on this machine.
 *
 * `const probe = startIdleProbe()`; `await probe.reset()` at the start of a window; `await probe.read()` at its end;
 * `probe.stop()`.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

export interface LoopFigures {
  p50: number
  p99: number
  max: number
}

export interface IdleProbe {
  reset(): Promise<void>
  read(): Promise<LoopFigures>
  stop(): void
}

function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`idle probe: no ${type} reply`)), 10_000)
    const on = (m: { type: string; value: T }): void => {
      if (m.type !== type) return
      child.off('message', on)
      clearTimeout(timer)
      resolve(m.value)
    }
    child.on('message', on)
    child.send({ type })
  })
}

/** `cpus`: run it on those CPUs only (taskset), e.g. beside a daemon pinned there. */
export function startIdleProbe(cpus?: string): IdleProbe {
  const self = fileURLToPath(import.meta.url)
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc']
  const child = cpus
    ? spawn('taskset', ['-c', cpus, process.execPath, self, '--child'], { stdio })
    : fork(self, ['--child'], { stdio })
  return {
    reset: () => ask<undefined>(child, 'reset').then(() => undefined),
    read: () => ask<LoopFigures>(child, 'read'),
    stop: () => void child.kill(),
  }
}

if (process.argv[2] === '--child') {
  const eld = monitorEventLoopDelay({ resolution: 5 })
  eld.enable()
  process.on('message', (m: { type: string }) => {
    if (m.type === 'reset') {
      eld.reset()
      process.send?.({ type: 'reset' })
    } else if (m.type === 'read') {
      process.send?.({
        type: 'read',
        value: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
      })
    }
  })
}
