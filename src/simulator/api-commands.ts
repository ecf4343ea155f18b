/**
 * The api commands (mod_commands, mod_sofia) the simulator answers, worded as FreeSWITCH 1.10.12
 * words them (captures: inbound-apierror, inbound-introspection, inbound-misc, inbound-bgapi).
 */
import type { Channel } from './channel.js'
import { eventDates, urlEncode, type Header } from './serialize.js'
import type { FreeSwitchSimulator } from './simulator.js'

const NO_SUCH_CHANNEL = '-ERR No such channel!\n'

/** The modules of the capture instance (esl-captures/README.md, "Modules loaded"). */
export const LOADED_MODULES: ReadonlySet<string> = new Set([
  'mod_console',
  'mod_logfile',
  'mod_event_socket',
  'mod_sofia',
  'mod_loopback',
  'mod_commands',
  'mod_db',
  'mod_dptools',
  'mod_expr',
  'mod_fifo',
  'mod_hash',
  'mod_callcenter',
  'mod_valet_parking',
  'mod_dialplan_xml',
  'mod_sndfile',
  'mod_native_file',
  'mod_local_stream',
  'mod_tone_stream',
  'mod_say_en',
])
const VERSION_TEXT =
  'FreeSWITCH Version 1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit (git a88d069 2024-08-02 21:02:27Z 64bit)\n'

/** Splits `cmd arg...` into the command and its argument string. */
export function splitCommand(line: string): { cmd: string; arg: string } {
  const t = line.trim()
  const i = t.indexOf(' ')
  return i < 0 ? { cmd: t, arg: '' } : { cmd: t.slice(0, i), arg: t.slice(i + 1).trim() }
}

/**
 * Runs one api command line. `reply` is called once with the response body: at once for most
 * commands, when the outcome is known for originate.
 */
export function runApiCommand(
  sim: FreeSwitchSimulator,
  line: string,
  reply: (text: string) => void,
  jobUuid?: string,
): void {
  const { cmd, arg } = splitCommand(line)
  const args = arg ? arg.split(/\s+/) : []
  const withChannel = (fn: (ch: Channel) => string): void => {
    const ch = args[0] ? sim.channel(args[0]) : undefined
    reply(ch && !ch.hungUp ? fn(ch) : NO_SUCH_CHANNEL)
  }
  switch (cmd) {
    case 'status':
      return reply(sim.statusText())
    case 'version':
      return reply(VERSION_TEXT)
    case 'module_exists':
      // mod_commands.c module_exists_function: "true" / "false", no newline.
      return reply(args[0] && sim.loadedModules.has(args[0]) ? 'true' : 'false')
    case 'hostname':
      return reply(sim.hostname)
    case 'echo':
      return reply(arg)
    case 'eval':
      return reply(expandVars(sim, arg))
    case 'reloadxml':
      sim.emit({ name: 'RELOADXML', headers: sim.baseHeaders('RELOADXML') })
      return reply('+OK [Success]\n')
    case 'originate':
      return sim.originate(arg, reply, jobUuid)
    case 'uuid_exists':
      return reply(args[0] && sim.channel(args[0]) && !sim.channel(args[0])!.hungUp ? 'true' : 'false')
    case 'uuid_kill':
      return withChannel((ch) => {
        sim.hangup(ch, args[1] || 'NORMAL_CLEARING')
        return '+OK\n'
      })
    case 'uuid_break':
      return withChannel((ch) => {
        const run = ch.running
        if (run && !run.done) run.interrupt(args[1] === 'all' ? 'break-all' : 'break')
        return '+OK\n'
      })
    case 'uuid_park':
      return withChannel((ch) => {
        sim.stopActivity(ch, 'park')
        sim.corePark(ch)
        return '+OK\n'
      })
    case 'uuid_answer':
      return withChannel((ch) => {
        sim.answer(ch)
        return '+OK\n'
      })
    case 'uuid_pre_answer':
      return withChannel((ch) => {
        sim.preAnswer(ch)
        return '+OK\n'
      })
    case 'uuid_setvar':
      if (args.length < 2) return reply('-USAGE: <uuid> <var> [value]\n')
      return withChannel((ch) => {
        const value = arg.split(/\s+/).slice(2).join(' ')
        ch.setVar(args[1], value === '' ? undefined : value)
        return '+OK\n'
      })
    case 'uuid_setvar_multi':
      return withChannel((ch) => {
        for (const kv of args.slice(1).join(' ').split(';')) {
          const i = kv.indexOf('=')
          if (i > 0) ch.setVar(kv.slice(0, i), kv.slice(i + 1) || undefined)
        }
        return '+OK\n'
      })
    case 'uuid_getvar':
      if (args.length < 2) return reply('-USAGE: <uuid> <var>\n')
      return withChannel((ch) => ch.variables.get(args[1]) ?? '_undef_')
    case 'uuid_transfer': {
      return withChannel((ch) => {
        const rest = args.slice(1).filter((a) => !a.startsWith('-'))
        if (!rest[0]) return '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n'
        sim.transfer(ch, rest[0], rest[2] ?? 'default')
        return '+OK\n'
      })
    }
    case 'uuid_bridge': {
      const a = args[0] ? sim.channel(args[0]) : undefined
      const b = args[1] ? sim.channel(args[1]) : undefined
      if (args.length < 2) return reply('-USAGE: <uuid> <other_uuid>\n')
      if (!a || !b || a.hungUp || b.hungUp || a === b) return reply('-ERR Invalid uuid\n')
      // mod_commands uuid_bridge_function: "+OK <other uuid>" (captures: inbound-queue-call).
      reply(`+OK ${b.uuid}\n`)
      sim.bridge(a, b)
      return
    }
    case 'uuid_send_dtmf':
      return withChannel((ch) => {
        // Digits sent to a loopback -a leg come out of its -b leg (captures: inbound-dtmf).
        const target = ch.loopbackPeer ?? ch
        for (const d of (args[1] ?? '').replace(/@\d+$/, '')) if (/[0-9*#A-Da-d]/.test(d)) sim.receiveDtmf(target, d)
        return '+OK Success\n'
      })
    case 'uuid_dump':
      return withChannel((ch) => dumpChannel(sim, ch, args[1] === 'json'))
    case 'show':
      return reply(show(sim, args))
    case 'sofia':
      return reply(sofia(sim, args))
    case 'global_getvar':
      return reply(args[0] === 'hostname' ? sim.hostname : (sim.dialplan.globals.get(args[0] ?? '') ?? ''))
    default:
      return reply(`-ERR ${cmd} Command not found!\n`)
  }
}

function expandVars(sim: FreeSwitchSimulator, s: string): string {
  return s.replace(/\$\{([^}]+)\}/g, (_, name: string) => (name === 'hostname' ? sim.hostname : ''))
}

/** uuid_dump: the CHANNEL_DATA event, plain (url-encoded lines) or json. */
function dumpChannel(sim: FreeSwitchSimulator, ch: Channel, json: boolean): string {
  const base = sim.baseHeaders('CHANNEL_DATA')
  base[9] = ['Event-Calling-File', 'mod_commands.c']
  base[10] = ['Event-Calling-Function', 'uuid_dump_function']
  base[11] = ['Event-Calling-Line-Number', '6468']
  const headers: Header[] = [...base, ...ch.eventData()]
  if (json) return `{${headers.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
  return headers.map(([k, v]) => `${k}: ${urlEncode(v)}\n`).join('') + '\n'
}

type Row = Array<[string, string]>

function table(rows: Row[], json: boolean): string {
  if (json) {
    if (!rows.length) return '{"row_count":0}'
    const r = rows.map((row) => `{${row.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`)
    return `{"row_count":${rows.length},"rows":[${r.join(',')}]}`
  }
  if (!rows.length) return '\n0 total.\n'
  const head = rows[0].map(([k]) => k).join(',')
  return `${head}\n${rows.map((r) => r.map(([, v]) => v).join(',')).join('\n')}\n\n${rows.length} total.\n`
}

function created(ch: Channel): Row {
  return [
    ['created', eventDates(ch.createdAt).local],
    ['created_epoch', String(Math.floor(ch.createdAt / 1000))],
  ]
}

function channelRow(sim: FreeSwitchSimulator, ch: Channel): Row {
  const app =
    ch.running && !ch.running.done ? ch.running.call : ch.parked === 'app' ? { app: 'park', arg: '' } : undefined
  const codec = ch.answered || ch.parked ? ['PCMU', '8000', '64000'] : ['', '', '']
  return [
    ['uuid', ch.uuid],
    ['direction', ch.direction],
    ...created(ch),
    ['name', ch.name],
    ['state', ch.state],
    ['cid_name', ch.profile.callerIdName],
    ['cid_num', ch.profile.callerIdNumber],
    ['ip_addr', ch.profile.networkAddr],
    ['dest', ch.profile.destination],
    ['application', app?.app ?? ''],
    ['application_data', app?.arg ?? ''],
    ['dialplan', 'xml'],
    ['context', ch.profile.context],
    ['read_codec', codec[0]],
    ['read_rate', codec[1]],
    ['read_bit_rate', codec[2]],
    ['write_codec', codec[0]],
    ['write_rate', codec[1]],
    ['write_bit_rate', codec[2]],
    ['secure', ''],
    ['hostname', sim.hostname],
    ['presence_id', ''],
    ['presence_data', ''],
    ['accountcode', ''],
    ['callstate', ch.callState],
    ['callee_name', ch.profile.calleeIdName ?? ''],
    ['callee_num', ch.profile.calleeIdNumber ?? ''],
    ['callee_direction', ''],
    ['call_uuid', ch.bridge ? ch.uuid : ''],
    ['sent_callee_name', ''],
    ['sent_callee_num', ''],
    ['initial_cid_name', ch.profile.origCallerIdName],
    ['initial_cid_num', ch.profile.origCallerIdNumber],
    ['initial_ip_addr', ch.profile.networkAddr],
    ['initial_dest', ch.profile.destination],
    ['initial_dialplan', 'xml'],
    ['initial_context', ch.profile.context],
  ]
}

function callRow(sim: FreeSwitchSimulator, ch: Channel): Row {
  const b = ch.bridge
  const bc = (k: string, v: () => string): [string, string] => [k, b ? v() : '']
  return [
    ['uuid', ch.uuid],
    ['direction', ch.direction],
    ...created(ch),
    ['name', ch.name],
    ['state', ch.state],
    ['cid_name', ch.profile.callerIdName],
    ['cid_num', ch.profile.callerIdNumber],
    ['ip_addr', ch.profile.networkAddr],
    ['dest', ch.profile.destination],
    ['presence_id', ''],
    ['presence_data', ''],
    ['accountcode', ''],
    ['callstate', ch.callState],
    ['callee_name', ch.profile.calleeIdName ?? ''],
    ['callee_num', ch.profile.calleeIdNumber ?? ''],
    ['callee_direction', ''],
    ['call_uuid', b ? ch.uuid : ''],
    ['hostname', sim.hostname],
    ['sent_callee_name', ''],
    ['sent_callee_num', ''],
    bc('b_uuid', () => b!.uuid),
    bc('b_direction', () => b!.direction),
    bc('b_created', () => eventDates(b!.createdAt).local),
    bc('b_created_epoch', () => String(Math.floor(b!.createdAt / 1000))),
    bc('b_name', () => b!.name),
    bc('b_state', () => b!.state),
    bc('b_cid_name', () => b!.profile.callerIdName),
    bc('b_cid_num', () => b!.profile.callerIdNumber),
    bc('b_ip_addr', () => b!.profile.networkAddr),
    bc('b_dest', () => b!.profile.destination),
    ['b_presence_id', ''],
    ['b_presence_data', ''],
    ['b_accountcode', ''],
    bc('b_callstate', () => b!.callState),
    ['b_callee_name', ''],
    bc('b_callee_num', () => b!.profile.calleeIdNumber ?? ''),
    bc('b_callee_direction', () => 'RECV'),
    ['b_sent_callee_name', ''],
    ['b_sent_callee_num', ''],
    bc('call_created_epoch', () => String(Math.floor(ch.bridgedAt / 1000))),
  ]
}

/** Channels visible to `show`: the core db lags the events by showChannelsLagMs. */
function visible(sim: FreeSwitchSimulator): Channel[] {
  const now = sim.clock.now()
  return sim.channels().filter((c) => !c.hungUp && now - c.createdAt >= sim.showChannelsLagMs)
}

function show(sim: FreeSwitchSimulator, args: string[]): string {
  const what = args[0] ?? ''
  const json = args.includes('json')
  if (what === 'channels') {
    const chans = visible(sim)
    if (args[1] === 'count') return `\n${chans.length} total.\n`
    return table(
      chans.map((c) => channelRow(sim, c)),
      json,
    )
  }
  if (what === 'calls') {
    const chans = visible(sim).filter((c) => c.bridgeSide !== 'b' || !c.bridge)
    if (args[1] === 'count') return `\n${chans.length} total.\n`
    return table(
      chans.map((c) => callRow(sim, c)),
      json,
    )
  }
  if (what === 'registrations') {
    const rows: Row[] = sim.registrations().map((u) => [
      ['reg_user', u.user],
      ['realm', u.domain],
      ['token', u.callId],
      ['url', `sofia/internal/sip:${u.user}-0x${u.callId.slice(0, 12)}@127.0.0.1:${u.contactPort}`],
      ['expires', String(Math.floor(((u.registeredAt ?? 0) + u.expiresSecs * 1000) / 1000))],
      ['network_ip', '127.0.0.1'],
      ['network_port', String(u.contactPort)],
      ['network_proto', 'udp'],
      ['hostname', sim.hostname],
      ['metadata', ''],
    ])
    return table(rows, json)
  }
  return '-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n'
}

/** `sofia status profile internal reg` (capture: inbound-introspection). */
function sofia(sim: FreeSwitchSimulator, args: string[]): string {
  if (args[0] !== 'status' || args[1] !== 'profile' || !args[2])
    return '-ERR Usage: sofia status profile <name> [reg]\n'
  const line = '================================================================================================='
  let out = `\nRegistrations:\n${line}\n`
  const regs = args[2] === 'internal' ? sim.registrations() : []
  for (const u of regs) {
    const exp = (u.registeredAt ?? 0) + u.expiresSecs * 1000
    out +=
      `Call-ID:    \t${u.callId}\nUser:       \t${u.user}@${u.domain}\n` +
      `Contact:    \t"" <sip:${u.user}-0x${u.callId.slice(0, 12)}@127.0.0.1:${u.contactPort}>\n` +
      `Agent:      \tkoplus-sim phone\n` +
      `Status:     \tRegistered(UDP)(unknown) EXP(${eventDates(exp).local}) EXPSECS(${Math.max(0, Math.round((exp - sim.clock.now()) / 1000))})\n` +
      `Ping-Status:\tReachable\nPing-Time:\t0.00\nHost:       \t${sim.hostname}\nIP:         \t127.0.0.1\nPort:       \t${u.contactPort}\n` +
      `Auth-User:  \t${u.user}\nAuth-Realm: \t${u.domain}\nMWI-Account:\t${u.user}@${u.domain}\n\n`
  }
  return out + `Total items returned: ${regs.length}\n${line}\n`
}
