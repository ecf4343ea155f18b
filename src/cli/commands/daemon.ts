/**
 * `koplus daemon [--simulate [--fresh]]`: runs the daemon in this process (src/daemon/index.ts, the one
 * wiring point), until a signal stops it.
 */
import type { Command } from 'commander'
import { CliError } from '../client.js'
import type { Kit } from '../kit.js'

export function registerDaemonCommand(program: Command, kit: Kit): void {
  const { out, env, g } = kit
  program
    .command('daemon')
    .description('run the daemon (connects to FreeSWITCH, serves the control API)')
    .option(
      '--simulate',
      'run against the built-in FreeSWITCH simulator with a demo call centre and generated traffic (kept in <data dir>/simulate.sqlite)',
    )
    .option('--fresh', 'with --simulate: delete the demo database and start the demo over')
    .action(async (o: { simulate?: boolean; fresh?: boolean }, cmd: Command) => {
      if (o.fresh && !o.simulate)
        throw new CliError('--fresh goes with --simulate (it starts the demo over; the real database is never deleted)')
      const { runDaemonCommand } = await import('../../daemon/index.js')
      const running = await runDaemonCommand({
        configPath: g(cmd).config,
        simulate: !!o.simulate,
        fresh: !!o.fresh,
        env,
      })
      if (running.api)
        out.err(
          `koplus daemon running; control API at ${running.api.url} (Ctrl-C stops it; live calls stay in FreeSWITCH)`,
        )
      await new Promise<never>(() => undefined) // until a signal stops the process
    })
}
