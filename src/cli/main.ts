/**
 * The `koplus` command line (commander). Every command except `daemon` and `doctor` talks to the running daemon's
 * HTTP API, so changes apply live. Tables on a terminal; `--json` on every command prints the API's JSON instead.
 * Errors print `error: <message>` on stderr and exit non-zero (1: refused/invalid, 2: daemon not reachable).
 *
 * This file only assembles the program: the global options, then one module per command group (./commands/), each
 * given the shared kit (./kit.ts). See ./README.md.
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { CliError } from './client.js'
import { stdio, type Output } from './format.js'
import { makeKit } from './kit.js'
import { registerAccountCommands } from './commands/account.js'
import { registerAgentCommands } from './commands/agent.js'
import { registerCallsCommand } from './commands/calls.js'
import { registerCallbackCommands } from './commands/callback.js'
import { registerClosureCommands } from './commands/closure.js'
import { registerDaemonCommand } from './commands/daemon.js'
import { registerDoctorCommand } from './commands/doctor.js'
import { registerPromptCommands } from './commands/prompt.js'
import { registerQueueCommands } from './commands/queue.js'
import { registerReportCommands } from './commands/report.js'
import { registerScheduleCommands } from './commands/schedule.js'
import { registerStatusCommand } from './commands/status.js'
import { registerTenantCommands } from './commands/tenant.js'

// what tests and other modules used to import from here
export { parseAssignments, parseDevice, parseValue, settingValue, wholeNumber, withTypedName } from './parse.js'
export { zoneOf } from './kit.js'

/** package.json's version (read once; dist/src/cli/main.js and src/cli/main.ts are both three levels below it). */
const VERSION: string = (() => {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const p = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (p.name === 'koplus' && p.version) return p.version
    } catch {
      // try the next place
    }
  }
  return 'unknown'
})()

/** Build the program; `out` lets tests capture output. */
function buildProgram(out: Output = stdio, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('koplus')
  program
    .description('koplus: call queues (ACD) for FreeSWITCH — control the running daemon')
    .option('--api <url>', 'the daemon API address (default: from the config, http://127.0.0.1:<api.port>)')
    .option('--token <token>', 'API token (default: KOPLUS_TOKEN, else <data dir>/cli-token written by the daemon)')
    .option(
      '--config <path>',
      'koplus config file (default: KOPLUS_CONFIG, else /etc/koplus/koplus.json if it exists, else built-in defaults)',
    )
    .option('--tenant <id>', 'tenant of the queues/agents named (needed only when a number exists in several tenants)')
    .option('--json', 'print JSON instead of tables')
    .version(VERSION, '-V, --version', 'print the koplus version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.out(s), writeErr: (s) => out.err(s) })
  const kit = makeKit(out, env)
  // the order here is the order of `koplus --help`
  registerDaemonCommand(program, kit)
  registerStatusCommand(program, kit)
  registerTenantCommands(program, kit)
  registerQueueCommands(program, kit)
  registerAgentCommands(program, kit)
  registerCallsCommand(program, kit)
  registerCallbackCommands(program, kit)
  registerScheduleCommands(program, kit)
  registerClosureCommands(program, kit)
  registerReportCommands(program, kit)
  registerAccountCommands(program, kit)
  registerPromptCommands(program, kit)
  registerDoctorCommand(program, kit)
  return program
}

/** Entry point used by bin/koplus.js: runs the command, sets the exit code, prints errors to stderr. */
export async function main(
  argv: readonly string[] = process.argv,
  out: Output = stdio,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const program = buildProgram(out, env)
  let code = 0
  try {
    await program.parseAsync([...argv])
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors (commander already printed them) exit 1
      code = err.exitCode === 0 ? 0 : 1
    } else if (err instanceof CliError) {
      out.err(`error: ${err.message}`)
      code = err.exitCode
    } else {
      out.err(`error: ${(err as Error).message ?? String(err)}`)
      code = 1
    }
  }
  process.exitCode = code
  return code
}
