/**
 * A tiny JSON-over-HTTP control port (127.0.0.1 only) so a simulator running as its own process can
 * be driven from outside: POST /calls {to, from, callerName?, sipUser?, domain?} -> {uuid};
 * POST /calls/<uuid>/keys {keys}; POST /calls/<uuid>/hangup; GET /calls/<uuid> -> {state, bridgedTo, heard};
 * POST /endpoints {user|pattern, behaviour}; POST /register {user}; POST /unregister {user};
 * GET /channels; GET /originates; POST /api {command} -> {response}.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FreeSwitchSimulator } from './simulator.js'

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

/** Starts the control port; resolves with the server and its port. */
export async function startControlServer(
  sim: FreeSwitchSimulator,
  port = 0,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const send = (status: number, obj: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(obj))
    }
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const parts = url.pathname.split('/').filter(Boolean)
      const b = req.method === 'POST' ? await body(req) : {}
      if (req.method === 'POST' && url.pathname === '/calls') {
        const call = sim.placeCall(b as never)
        return send(200, { uuid: call.uuid })
      }
      if (parts[0] === 'calls' && parts[1]) {
        const call = sim.call(parts[1])
        if (!call) return send(404, { error: 'no such call' })
        if (req.method === 'POST' && parts[2] === 'keys') call.pressKeys(String(b.keys ?? ''))
        else if (req.method === 'POST' && parts[2] === 'hangup') call.hangup()
        return send(200, { uuid: call.uuid, state: call.state, bridgedTo: call.bridgedTo, heard: call.heard() })
      }
      if (req.method === 'POST' && url.pathname === '/endpoints') {
        const key = (b.user as string | undefined) ?? new RegExp(String(b.pattern))
        sim.endpoint(key, b.behaviour ?? {})
        return send(200, { ok: true })
      }
      if (req.method === 'POST' && url.pathname === '/register') {
        sim.register(String(b.user), Number(b.expires ?? 60))
        return send(200, { ok: true })
      }
      if (req.method === 'POST' && url.pathname === '/unregister') {
        sim.unregister(String(b.user))
        return send(200, { ok: true })
      }
      if (url.pathname === '/channels')
        return send(
          200,
          sim.channels().map((c) => ({ uuid: c.uuid, name: c.name, state: c.state, answerState: c.answerState })),
        )
      if (url.pathname === '/originates') return send(200, sim.originates)
      if (req.method === 'POST' && url.pathname === '/api')
        return send(200, { response: sim.api(String(b.command ?? '')) })
      send(404, { error: 'not found' })
    })().catch((err: Error) => send(400, { error: err.message }))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}
