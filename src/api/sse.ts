/**
 * The server-sent events stream (/api/v1/events): a `status` event at once, then one after every change of the
 * engine's state (coalesced: several changes in one tick give one event), and a comment line every 15 s so that
 * proxies keep the connection open.
 */
import type { Ctx } from './router.js'

export function openSse(ctx: Ctx, snapshot: () => unknown): void {
  const { res, req } = ctx
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  let seq = 0
  let pending = false
  const send = (): void => {
    pending = false
    if (res.writableEnded) return
    res.write(`id: ${++seq}\nevent: status\ndata: ${JSON.stringify(snapshot())}\n\n`)
  }
  send()
  const unsubscribe = ctx.live.onChange(() => {
    if (pending) return
    pending = true
    setImmediate(send)
  })
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
  heartbeat.unref()
  const close = (): void => {
    clearInterval(heartbeat)
    unsubscribe()
  }
  req.on('close', close)
  res.on('close', close)
}
