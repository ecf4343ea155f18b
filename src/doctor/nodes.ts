/**
 * `koplus doctor` with several FreeSWITCH nodes (`freeswitch.nodes`, docs/scale-out.md): every check of
 * runDoctor against each node in turn, each line named after its node (`a: connection`, `b: queue 5000`), and the
 * checks of this host (sounds, tenants) once. A node that fails fails the doctor; the others are still checked.
 */
import { runDoctor, type CheckResult, type DoctorOptions, type DoctorReport } from './index.js'

/** Checks that look at this host or the database, not at a FreeSWITCH node. */
const HOST_CHECKS = new Set(['sounds', 'tenants'])

export interface DoctorNode {
  id: string
  host: string
  port: number
  password: string
}

/** Runs the doctor against every node; never throws. `run` is runDoctor (a test may pass a fake). */
export async function runDoctorNodes(
  nodes: readonly DoctorNode[],
  opts: Omit<DoctorOptions, 'host' | 'port' | 'password'>,
  run: (o: DoctorOptions) => Promise<DoctorReport> = runDoctor,
): Promise<DoctorReport> {
  const checks: CheckResult[] = []
  const reports = await Promise.all(
    nodes.map((n, i) =>
      run({
        ...opts,
        host: n.host,
        port: n.port,
        password: n.password,
        ...(i > 0 ? { databasePath: undefined, databaseUrl: undefined } : {}),
      }),
    ),
  )
  reports.forEach((r, i) => {
    for (const c of r.checks) {
      if (HOST_CHECKS.has(c.name)) {
        if (i === 0) checks.push(c)
        continue
      }
      checks.push({ ...c, name: `${nodes[i].id}: ${c.name}` })
    }
  })
  // Host checks after the node checks, as runDoctor orders them.
  checks.sort((a, b) => Number(HOST_CHECKS.has(a.name)) - Number(HOST_CHECKS.has(b.name)))
  return { ok: checks.every((c) => c.ok), checks }
}
