#!/usr/bin/env node
/**
 * Runs the FreeSWITCH simulator as its own process:
 *   node dist/src/simulator/main.js --port 8021 [--host 127.0.0.1] [--password ClueCon]
 *        [--control-port N] [--queues 5000,5001] [--show-lag-ms 1000] [--esl-poll-ms 20]
 * `--esl-poll-ms` (default 20, as FreeSWITCH): events wait for the listener thread's 20 ms poll unless the client
 * sends a byte; 0 writes them at once.
 * Prints `esl <port>` (and `control <port>`) on stdout once listening.
 */
import { startControlServer } from './control.js'
import { FreeSwitchSimulator } from './simulator.js'

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const queues = opt('queues')
const sim = new FreeSwitchSimulator({
  password: opt('password') ?? 'ClueCon',
  showChannelsLagMs: Number(opt('show-lag-ms') ?? 0),
  eslPollMs: Number(opt('esl-poll-ms') ?? 20),
  heartbeatMs: 20000,
  dialplan: queues ? { queueNumbers: queues.split(',') } : undefined,
})
const port = await sim.listen(Number(opt('port') ?? 8021), opt('host') ?? '127.0.0.1')
process.stdout.write(`esl ${port}\n`)
const cp = opt('control-port')
if (cp !== undefined) {
  const { port: p } = await startControlServer(sim, Number(cp))
  process.stdout.write(`control ${p}\n`)
}
const stop = (): void => {
  void sim.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
