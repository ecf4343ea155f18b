/**
 * Virtual time for integration tests that run the daemon in-process against the simulator over TCP: the daemon and
 * the simulator share one VirtualClock, and the test lets time pass only when nothing else can happen — every byte
 * one in-process socket wrote has been read by its peer and the event loop has turned — so a 20 s ring timeout
 * takes no wall-clock time, and every timing in a test is exact (TCP hops take 0 ms of virtual time).
 *
 *   const time = new VirtualTime()
 *   const j = await startJourney(t, { time, ... })          // daemon and simulator on time.clock
 *   await time.run(call.waitForState('bridged'), 'bridged')   // advances timer by timer until the promise settles
 *   await time.until(async () => (await store.calls.find(id))?.endedAt, 'record ended')
 *   await time.advance(400)                                   // a 400 ms conversation
 *
 * "Nothing in flight" is exact, not a quiet period: node:diagnostics_channel reports every socket this process
 * connects or accepts; a pair of them (matched by ports) is balanced when each side has had delivered all the other
 * wrote (bytesWritten counts bytes still queued in Node; bytes read into a paused stream's buffer are not delivered). Only in-process peers count, so a test that talks to another
 * process (a spawned daemon) cannot use this; it runs on the real clock (or an offset one, faketime.ts) instead.
 * VT_DEBUG=1 prints every step of virtual time to stderr (what is awaited, from when to when).
 */
import dc from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { VirtualClock } from '../../src/util/clock.js'

/** What a polled condition resolves to once it holds (undefined, false and null mean "not yet"). */
export type Truthy<R> = Exclude<R, undefined | false | null>

const sockets = new Set<Socket>()
const track = (msg: unknown): void => {
  const socket = (msg as { socket?: Socket }).socket
  if (!socket) return
  sockets.add(socket)
  socket.once('close', () => sockets.delete(socket))
}
dc.subscribe('net.client.socket', track)
dc.subscribe('net.server.socket', track)

/** Sockets with bytes written that their in-process peer has not read yet ("a:port→b:port 12 bytes"). */
export function bytesInFlight(): string[] {
  const live = [...sockets].filter((s) => !s.destroyed && s.localPort !== undefined && s.remotePort !== undefined)
  const byEnds = new Map<string, Socket>()
  for (const s of live) byEnds.set(`${s.localPort}>${s.remotePort}`, s)
  const out: string[] = []
  for (const s of live) {
    const peer = byEnds.get(`${s.remotePort}>${s.localPort}`)
    if (!peer) continue
    // Read from the kernel but still buffered in a paused stream (readableLength) is not delivered yet.
    const pending = s.bytesWritten - (peer.bytesRead - peer.readableLength)
    if (pending > 0) out.push(`${s.localPort}→${s.remotePort} ${pending} bytes`)
  }
  return out
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))
const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export interface UntilOptions {
  /** Virtual time the condition may take (default 120 s). */
  maxMs?: number
  /**
   * Wall-clock time to keep waiting when no timer falls due within maxMs (default 5 s): for what runs on real
   * time (the ESL client's reconnect back-off), and the safety net of a test that would otherwise hang.
   */
  realTimeoutMs?: number
}

export class VirtualTime {
  readonly clock: VirtualClock

  /** @param start the virtual instant to start at (default VirtualClock's: 2026-11-25 08:00 UTC, a Wednesday) */
  constructor(start?: number) {
    this.clock = start === undefined ? new VirtualClock() : new VirtualClock(start)
  }

  now(): number {
    return this.clock.now()
  }

  /**
   * Resolves once nothing is in flight: every in-process socket's bytes read by its peer, over two event-loop turns
   * in a row (a reaction to the last bytes read runs in microtasks or the next turn, and writes before it ends).
   */
  async settle(realTimeoutMs = 5000): Promise<void> {
    const end = performance.now() + realTimeoutMs
    let quiet = 0
    while (quiet < 2) {
      await turn()
      if (bytesInFlight().length === 0) quiet++
      else quiet = 0
      if (performance.now() > end)
        throw new Error(`bytes still in flight after ${realTimeoutMs} ms: ${bytesInFlight().join(', ')}`)
    }
  }

  /** Lets time pass until `fn()` is truthy: settles, checks, fires the next due timer(s), and again. */
  async until<R>(fn: () => R | Promise<R>, what = 'condition', opts: UntilOptions = {}): Promise<Truthy<R>> {
    const start = this.clock.now()
    const deadline = start + (opts.maxMs ?? 120_000)
    const realEnd = performance.now() + (opts.realTimeoutMs ?? 5000)
    for (;;) {
      await this.settle()
      const v = await fn()
      if (v !== undefined && v !== false && v !== null) return v as Truthy<R>
      const next = this.clock.nextDue()
      if (next !== undefined && next <= deadline) {
        if (process.env.VT_DEBUG) console.error(`[vt] ${what}: +${this.clock.now() - start} → +${next - start}`)
        this.clock.runUntil(next)
        continue
      }
      if (performance.now() > realEnd) {
        const due = next === undefined ? 'no timer pending' : `next timer at +${next - start} ms`
        throw new Error(
          `timed out waiting for ${what} (${this.clock.now() - start} ms of virtual time, limit ${deadline - start} ms; ${due})`,
        )
      }
      await realSleep(5)
    }
  }

  /**
   * Waits on real time, with virtual time standing still, until `fn()` is truthy: for what happens on real time
   * only (a connection cut or made, the ESL client's back-off), so no virtual timer fires meanwhile.
   */
  async realUntil<R>(fn: () => R | Promise<R>, what = 'condition', realTimeoutMs = 5000): Promise<Truthy<R>> {
    const end = performance.now() + realTimeoutMs
    for (;;) {
      const v = await fn()
      if (v !== undefined && v !== false && v !== null) return v as Truthy<R>
      if (performance.now() > end) throw new Error(`timed out waiting for ${what} (${realTimeoutMs} ms of real time)`)
      await realSleep(5)
    }
  }

  /** Lets time pass until `promise` settles (e.g. a simulator waitFor or waitForState); returns its value. */
  async run<T>(promise: Promise<T>, what = 'the awaited promise', opts: UntilOptions = {}): Promise<T> {
    let done = false
    const watched = promise.finally(() => {
      done = true
    })
    watched.catch(() => undefined)
    await this.until(() => done, what, opts)
    return watched
  }

  /** Lets exactly `ms` of virtual time pass, timer by timer, settling after each. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.clock.now() + ms)
  }

  /** Lets virtual time pass up to the instant `target` (epoch ms), timer by timer, settling after each. */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await this.settle()
      const next = this.clock.nextDue()
      if (next === undefined || next > target) break
      this.clock.runUntil(next)
    }
    this.clock.runUntil(target)
    await this.settle()
  }
}
