/**
 * The server-sent events stream (/api/v1/events): a `status` event at once, then one after every change of the
 * engine's state — coalesced, and at most one every SSE_MIN_INTERVAL_MS per stream (issue 13: with 10,000 callers a
 * snapshot costs milliseconds, and a busy centre changes state a thousand times a second; a wallboard needs a few
 * pictures a second, not one per event) — and a comment line every 15 s so that proxies keep the connection open.
 */
import type { Ctx } from './router.js'

/** Least time between two status events of one stream, ms: the last change is always sent, at most this late. */
export const SSE_MIN_INTERVAL_MS = 250

export function openSse(ctx: Ctx, snapshot: () => unknown, minIntervalMs = SSE_MIN_INTERVAL_MS): void {
  const { res, req } = ctx
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  let seq = 0
  let pending = false
  let lastSent = 0
  let timer: NodeJS.Timeout | undefined
  // The snapshot may read the store (an account's queues): the events of one stream are written in order.
  let writing: Promise<void> = Promise.resolve()
  const send = (): void => {
    pending = false
    timer = undefined
    if (res.writableEnded) return
    lastSent = performance.now()
    writing = writing.then(async () => {
      let data: unknown
      try {
        data = await snapshot()
      } catch {
        return // the store failed this once: the next change sends a fresh snapshot
      }
      if (!res.writableEnded) res.write(`id: ${++seq}\nevent: status\ndata: ${JSON.stringify(data)}\n\n`)
    })
  }
  send()
  const unsubscribe = ctx.live.onChange(() => {
    if (pending) return
    pending = true
    const wait = lastSent + minIntervalMs - performance.now()
    if (wait > 0) timer = setTimeout(send, wait)
    else setImmediate(send)
  })
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
  heartbeat.unref()
  const close = (): void => {
    clearInterval(heartbeat)
    clearTimeout(timer)
    unsubscribe()
  }
  req.on('close', close)
  res.on('close', close)
}
