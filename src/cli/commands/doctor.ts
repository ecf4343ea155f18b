/**
 * `koplus doctor`: checks the configured FreeSWITCH (or the running simulator, from <data dir>/daemon.json)
 * without the daemon; the queue numbers come from the running daemon when it answers.
 */
import type { Command } from 'commander'
import { ApiClient, apiToken, apiUrl, cliConfig, CliError, runtimeInfo } from '../client.js'
import { collect, type Items, type Kit, type Queue } from '../kit.js'
import { storeHealthLine, type StoreHealthRow } from './status.js'

export function registerDoctorCommand(program: Command, kit: Kit): void {
  const { out, env, g, show } = kit
  program
    .command('doctor')
    .description(
      'check the configured FreeSWITCH (every node of freeswitch.nodes): connection, version, modules, events, dialplan, that every queue number and feature code reaches koplus, sound files',
    )
    .option('--context <name>', 'a dialplan context calls arrive in (repeatable; default: default and public)', collect)
    .option('--timeout <ms>', 'per check', '5000')
    .action(async (o: { context?: string[]; timeout: string }, cmd: Command) => {
      const { runDoctor, formatDoctor } = await import('../../doctor/index.js')
      const config = cliConfig(g(cmd))
      // A running `koplus daemon --simulate` listens on a random port: check its simulator, as the daemon does.
      const running = runtimeInfo(config)
      const sim = running?.freeswitch.simulated ? running.freeswitch : undefined
      if (sim)
        out.err(
          `checking the built-in simulator of 'koplus daemon --simulate' (pid ${running!.pid}) at ${sim.host}:${sim.port}`,
        )
      // the queue numbers come from the running daemon; without it only the feature codes are tested
      let queues: { number: string; name?: string }[] | undefined
      let queuesProblem: string | undefined
      let store: StoreHealthRow | undefined
      try {
        const tokenOpts = g(cmd)
        const api = new ApiClient(apiUrl(tokenOpts, env), apiToken(tokenOpts, env))
        queues = (await api.request<Items<Queue>>('GET', '/api/v1/queues')).items.map((q) => ({
          number: q.number,
          name: q.name,
        }))
        // the running daemon's store: its write queue is healthy, or writes wait in memory for the store
        store = (await api.request<{ store?: StoreHealthRow }>('GET', '/api/v1/status')).store
      } catch (err) {
        queuesProblem = (err as Error).message
      }
      const checks = {
        contexts: o.context?.length ? o.context : ['default', 'public'],
        queues,
        featureCodes: Object.values(config.featureCodes),
        soundsDir: config.sounds.dir,
        timeoutMs: Number(o.timeout) || 5000,
        databasePath: config.database.path,
        databaseUrl: config.database.url,
      }
      // Several FreeSWITCH nodes (freeswitch.nodes): every node is checked, its lines named after it.
      const nodes = !sim && config.freeswitch.nodes ? config.freeswitch.nodes : undefined
      const report = nodes
        ? await (await import('../../doctor/nodes.js')).runDoctorNodes(nodes, checks)
        : await runDoctor({
            host: sim?.host ?? config.freeswitch.host,
            port: sim?.port ?? config.freeswitch.port,
            password: config.freeswitch.password,
            ...checks,
          })
      if (store) {
        const ok = store.writes.state === 'ok'
        report.checks.push({ name: 'store', ok, detail: storeHealthLine(store).replace(/^Store: /, '') })
        if (!ok) report.ok = false
      }
      if (queuesProblem)
        report.checks.push({
          name: 'queues',
          ok: true,
          warning: true,
          detail: `queue numbers not checked: ${queuesProblem}`,
        })
      show(cmd, report, () => formatDoctor(report))
      if (!report.ok) throw new CliError(`${report.checks.filter((c) => !c.ok).length} check(s) failed`, 1)
    })
}
