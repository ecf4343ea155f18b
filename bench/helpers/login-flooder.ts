/**
 * The login flood of bench/login-flood.bench.ts, in a process of its own (the attacker is not in the simulator's
 * process, whose event loop times the calls; it runs at the lowest CPU priority, as an attacker on another host
 * would not take this host's CPU). `node login-flooder.js '<FlooderSettings JSON>'` with an IPC channel:
 * parent → {type:'stop'}; child → {type:'started'}, then {type:'result', sent, byStatus, ms}.
 */
export interface FlooderSettings {
  apiUrl: string
  clients: number
  /** A new X-Forwarded-For address per login (the daemon trusts the bench as its proxy). */
  newAddressEach: boolean
}

const settings = JSON.parse(process.argv[2] ?? '{}') as FlooderSettings
let running = true
let sent = 0
const byStatus: Record<number, number> = {}
const start = Date.now()

async function loop(c: number): Promise<void> {
  for (let i = 0; running; i++) {
    const n = sent++
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (settings.newAddressEach) headers['x-forwarded-for'] = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
    try {
      const res = await fetch(`${settings.apiUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ username: `flood${c}-${i}`, password: 'not the password' }),
      })
      await res.arrayBuffer()
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1
    } catch {
      byStatus[0] = (byStatus[0] ?? 0) + 1
    }
  }
}

const loops = Array.from({ length: settings.clients }, (_, c) => loop(c))
process.send?.({ type: 'started' })
process.on('message', (m: { type: string }) => {
  if (m.type !== 'stop') return
  running = false
  void Promise.all(loops).then(() => {
    process.send?.({ type: 'result', sent, byStatus, ms: Date.now() - start }, () => process.exit(0))
  })
})
process.on('disconnect', () => process.exit(0))
