/**
 * The stock extensions of FreeSWITCH 1.10's vanilla configuration (`make samples`) that a call meets before the
 * files of dialplan/default/ — as data, for `koplus doctor`, the queue-number warnings of the API, and the
 * simulator's "vanilla" dialplan (src/simulator/dialplan.ts).
 *
 * Source: signalwire/freeswitch conf/vanilla/dialplan/default.xml (commit 0fcc4ad2) and public.xml (31d34d0a).
 * In default.xml the line `<X-PRE-PROCESS cmd="include" data="default/*.xml"/>` stands near the END of the context,
 * after every extension below (only the mod_enum fallback follows it), so a file dropped into dialplan/default/ —
 * the old `00_koplus.xml` — is reached only by numbers none of these catches. public.xml includes public/*.xml
 * after `public_extensions` and `public_conference_extensions`.
 *
 * Left out: extensions that match on other fields than destination_number alone (unloop: ${sip_looped_call};
 * the Snom/Linksys park+orbit variants: source + SIP headers; hold_music 9664: ${rtp_has_crypto}), the time-of-day
 * and holiday examples (they only `set open=…`, continue="true"), and `enum` (only with mod_enum loaded).
 * Actions are kept with their application names and data as in the file (data is informational).
 */

export interface VanillaExtension {
  name: string
  /** The destination_number expression (PCRE in FreeSWITCH; these all work as JavaScript RegExps). */
  expression: string
  /** A channel/global variable condition instead of destination_number (e.g. ${default_password} ^1234$). */
  variable?: string
  continue?: boolean
  actions: ReadonlyArray<readonly [app: string, data: string]>
}

const a = (app: string, data = ''): readonly [string, string] => [app, data]

/** The extension `global` (continue="true"), first condition set of default.xml: the default_password warning. */
const DEFAULT_PASSWORD_EXTENSION: VanillaExtension = {
  name: 'global',
  variable: 'default_password',
  expression: '^1234$',
  continue: true,
  actions: [
    a('log', 'CRIT WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING '),
    a('log', 'CRIT Open $${conf_dir}/vars.xml and change the default_password.'),
    a('log', "CRIT Once changed type 'reloadxml' at the console."),
    a('log', 'CRIT WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING WARNING '),
    a('sleep', '10000'),
  ],
}

/** default.xml's extensions in file order (the `global` default_password part is DEFAULT_PASSWORD_EXTENSION). */
export const VANILLA_DEFAULT: readonly VanillaExtension[] = [
  {
    name: 'global-intercept',
    expression: '^886$',
    actions: [a('answer'), a('intercept', '${hash(select/${domain_name}-last_dial_ext/global)}'), a('sleep', '2000')],
  },
  { name: 'group-intercept', expression: '^\\*8$', actions: [a('answer'), a('intercept'), a('sleep', '2000')] },
  { name: 'intercept-ext', expression: '^\\*\\*(\\d+)$', actions: [a('answer'), a('intercept'), a('sleep', '2000')] },
  {
    name: 'redial',
    expression: '^(redial|870)$',
    actions: [a('transfer', '${hash(select/${domain_name}-last_dial/${caller_id_number})}')],
  },
  DEFAULT_PASSWORD_EXTENSION,
  { name: 'snom-demo-2', expression: '^9001$', actions: [a('eval'), a('transfer', '3000')] },
  { name: 'snom-demo-1', expression: '^9000$', actions: [a('eval'), a('playback', '$${hold_music}')] },
  { name: 'eavesdrop', expression: '^88(\\d{4})$|^\\*0(.*)$', actions: [a('answer'), a('eavesdrop')] },
  { name: 'eavesdrop', expression: '^779$', actions: [a('answer'), a('eavesdrop', 'all')] },
  { name: 'call_return', expression: '^\\*69$|^869$|^lcr$', actions: [a('transfer')] },
  {
    name: 'del-group',
    expression: '^80(\\d{2})$',
    actions: [a('answer'), a('group', 'delete:$1@${domain_name}'), a('gentones', '%(1000, 0, 320)')],
  },
  {
    name: 'add-group',
    expression: '^81(\\d{2})$',
    actions: [a('answer'), a('group', 'insert:$1@${domain_name}'), a('gentones', '%(1000, 0, 640)')],
  },
  {
    name: 'call-group-simo',
    expression: '^82(\\d{2})$',
    actions: [a('bridge', '{leg_timeout=15,ignore_early_media=true}${group(call:$1@${domain_name})}')],
  },
  {
    name: 'call-group-order',
    expression: '^83(\\d{2})$',
    actions: [a('bridge', '{leg_timeout=15,ignore_early_media=true}${group(call:$1@${domain_name}:order)}')],
  },
  {
    name: 'extension-intercom',
    expression: '^8(10[01][0-9])$',
    actions: [
      a('set', 'dialed_extension=$1'),
      a('export', 'sip_auto_answer=true'),
      a('bridge', 'user/${dialed_extension}@${domain_name}'),
    ],
  },
  {
    name: 'Local_Extension',
    expression: '^(10[01][0-9])$',
    actions: [
      a('export', 'dialed_extension=$1'),
      a('set', 'call_timeout=30'),
      a('set', 'hangup_after_bridge=true'),
      a('set', 'continue_on_fail=true'),
      a('bridge', 'user/${dialed_extension}@${domain_name}'),
      a('answer'),
      a('sleep', '1000'),
      a('bridge', 'loopback/app=voicemail:default ${domain_name} ${dialed_extension}'),
    ],
  },
  {
    name: 'Local_Extension_Skinny',
    expression: '^(11[01][0-9])$',
    actions: [a('set', 'dialed_extension=$1'), a('bridge', 'skinny/internal/${destination_number}')],
  },
  { name: 'group_dial_sales', expression: '^2000$', actions: [a('bridge', '${group_call(sales@${domain_name})}')] },
  { name: 'group_dial_support', expression: '^2001$', actions: [a('bridge', 'group/support@${domain_name}')] },
  { name: 'group_dial_billing', expression: '^2002$', actions: [a('bridge', 'group/billing@${domain_name}')] },
  {
    name: 'operator',
    expression: '^(operator|0)$',
    actions: [a('set', 'transfer_ringback=$${hold_music}'), a('transfer', '1000 XML features')],
  },
  {
    name: 'vmain',
    expression: '^vmain$|^4000$|^\\*98$',
    actions: [a('answer'), a('sleep', '1000'), a('voicemail', 'check default ${domain_name}')],
  },
  { name: 'sip_uri', expression: '^sip:(.*)$', actions: [a('bridge', 'sofia/${use_profile}/$1')] },
  {
    name: 'nb_conferences',
    expression: '^(30\\d{2})$',
    actions: [a('answer'), a('conference', '$1-${domain_name}@default')],
  },
  {
    name: 'wb_conferences',
    expression: '^(31\\d{2})$',
    actions: [a('answer'), a('conference', '$1-${domain_name}@wideband')],
  },
  {
    name: 'uwb_conferences',
    expression: '^(32\\d{2})$',
    actions: [a('answer'), a('conference', '$1-${domain_name}@ultrawideband')],
  },
  {
    name: 'cdquality_conferences',
    expression: '^(33\\d{2})$',
    actions: [a('answer'), a('conference', '$1-${domain_name}@cdquality')],
  },
  {
    name: 'cdquality_conferences',
    expression: '^(35\\d{2})$',
    actions: [a('answer'), a('conference', '$1-${domain_name}@video-mcu-stereo')],
  },
  {
    name: 'freeswitch_public_conf_via_sip',
    expression: '^9(888|8888|1616|3232)$',
    actions: [a('export', 'hold_music=silence'), a('bridge', 'sofia/${use_profile}/$1@conference.freeswitch.org')],
  },
  {
    name: 'mad_boss_intercom',
    expression: '^0911$',
    actions: [a('conference', 'madboss_intercom1@default+flags{endconf|deaf}')],
  },
  {
    name: 'mad_boss_intercom',
    expression: '^0912$',
    actions: [a('conference', 'madboss_intercom2@default+flags{endconf|deaf}')],
  },
  { name: 'mad_boss', expression: '^0913$', actions: [a('conference', 'madboss3@default')] },
  { name: 'ivr_demo', expression: '^5000$', actions: [a('answer'), a('sleep', '2000'), a('ivr', 'demo_ivr')] },
  {
    name: 'dynamic_conference',
    expression: '^5001$',
    actions: [a('conference', 'bridge:mydynaconf:sofia/${use_profile}/1234@conference.freeswitch.org')],
  },
  { name: 'rtp_multicast_page', expression: '^pagegroup$|^7243$', actions: [a('answer'), a('esf_page_group')] },
  {
    name: 'park',
    expression: '^5900$',
    actions: [a('set', 'fifo_music=$${hold_music}'), a('fifo', '5900@${domain_name} in')],
  },
  { name: 'unpark', expression: '^5901$', actions: [a('answer'), a('fifo', '5900@${domain_name} out nowait')] },
  {
    name: 'valet_park',
    expression: '^(6000)$',
    actions: [a('answer'), a('valet_park', 'valet_parking_lot ask 1 11 10000 ivr/ivr-enter_ext_pound.wav')],
  },
  {
    name: 'valet_park',
    expression: '^((?!6000)60\\d{2})$',
    actions: [a('answer'), a('valet_park', 'valet_parking_lot $1')],
  },
  { name: 'wait', expression: '^wait$', actions: [a('pre_answer'), a('sleep', '20000'), a('answer')] },
  {
    name: 'fax_receive',
    expression: '^9178$',
    actions: [a('answer'), a('playback', 'silence_stream://2000'), a('rxfax', '$${temp_dir}/rxfax.tif')],
  },
  { name: 'fax_transmit', expression: '^9179$', actions: [a('txfax', '$${temp_dir}/txfax.tif'), a('hangup')] },
  { name: 'ringback_180', expression: '^9180$', actions: [a('ring_ready'), a('sleep', '20000'), a('answer')] },
  {
    name: 'ringback_183_uk_ring',
    expression: '^9181$',
    actions: [a('set', 'ringback=$${uk-ring}'), a('bridge', '{ignore_early_media=true}loopback/wait')],
  },
  {
    name: 'ringback_183_music_ring',
    expression: '^9182$',
    actions: [a('set', 'ringback=$${hold_music}'), a('bridge', '{ignore_early_media=true}loopback/wait')],
  },
  {
    name: 'ringback_post_answer_uk_ring',
    expression: '^9183$',
    actions: [a('answer'), a('bridge', '{ignore_early_media=true}loopback/wait')],
  },
  {
    name: 'ringback_post_answer_music',
    expression: '^9184$',
    actions: [a('answer'), a('bridge', '{ignore_early_media=true}loopback/wait')],
  },
  {
    name: 'ClueCon',
    expression: '^9191$',
    actions: [a('set', 'effective_caller_id_name=ClueCon IVR'), a('bridge', 'sofia/$${domain}/2000@bkw.org')],
  },
  { name: 'show_info', expression: '^9192$', actions: [a('answer'), a('info'), a('sleep', '250'), a('hangup')] },
  {
    name: 'video_record',
    expression: '^9193$',
    actions: [a('answer'), a('record_fsv', '$${temp_dir}/testrecord.fsv')],
  },
  {
    name: 'video_playback',
    expression: '^9194$',
    actions: [a('answer'), a('play_fsv', '$${temp_dir}/testrecord.fsv')],
  },
  { name: 'delay_echo', expression: '^9195$', actions: [a('answer'), a('delay_echo', '5000')] },
  { name: 'echo', expression: '^9196$', actions: [a('answer'), a('echo')] },
  {
    name: 'milliwatt',
    expression: '^9197$',
    actions: [a('answer'), a('playback', '{loops=-1}tone_stream://%(251,0,1004)')],
  },
  {
    name: 'tone_stream',
    expression: '^9198$',
    actions: [a('answer'), a('playback', '{loops=10}tone_stream://path=${conf_dir}/tetris.ttml')],
  },
  { name: 'zrtp_enrollement', expression: '^9787$', actions: [a('lua', 'zrtp_agent.lua')] },
  {
    name: 'laugh break',
    expression: '^9386$',
    actions: [a('answer'), a('sleep', '1500'), a('playback', 'phrase:funny_prompts'), a('hangup')],
  },
]

/** public.xml's extensions in file order (before its `public/*.xml` include). */
export const VANILLA_PUBLIC: readonly VanillaExtension[] = [
  {
    name: 'outside_call',
    expression: '',
    continue: true,
    actions: [a('set', 'outside_call=true'), a('export', 'RFC2822_DATE=${strftime(%a, %d %b %Y %T %z)}')],
  },
  { name: 'public_extensions', expression: '^(10[01][0-9])$', actions: [a('transfer', '$1 XML default')] },
  {
    name: 'public_conference_extensions',
    expression: '^(3[5-8][01][0-9])$',
    actions: [a('transfer', '$1 XML default')],
  },
]

/**
 * The vanilla extensions of `context` (default or public) that catch `number` — that end the search there (not
 * continue="true") — in file order. Empty: the number reaches the context's include of default/*.xml or public/*.xml.
 */
export function stockExtensionsCatching(number: string, context: 'default' | 'public' = 'default'): VanillaExtension[] {
  const list = context === 'public' ? VANILLA_PUBLIC : VANILLA_DEFAULT
  return list.filter((e) => !e.continue && !e.variable && new RegExp(e.expression).test(number))
}

/** One sentence for an operator: which vanilla extension would take `number` before koplus, or undefined. */
function stockOverlapWarning(number: string): string | undefined {
  const hits = stockExtensionsCatching(number, 'default')
  if (hits.length === 0) return undefined
  const e = hits[0]
  return (
    `${number} is also the stock extension '${e.name}' (${e.expression}) of FreeSWITCH's vanilla dialplan/default.xml, ` +
    `which runs ${e.actions.map(([app]) => app).join(', ')}: unless the koplus jump stands at the top of the context ` +
    `(scripts/install-dialplan.sh, docs/install-freeswitch.md) callers never reach koplus; run 'koplus doctor' to check`
  )
}

/** The queue-number expression of the shipped conf/freeswitch/dialplan/koplus.xml (extension koplus-queue). */
const SHIPPED_QUEUE_EXPRESSION = '^(5\\d{3})$'

/**
 * What an operator should hear when a queue gets `number` (create or renumber: API, CLI, web): the change is made
 * anyway; these only warn. Empty when nothing is known to catch the number.
 */
export function queueNumberWarnings(number: string): string[] {
  const out: string[] = []
  const overlap = stockOverlapWarning(number)
  if (overlap) out.push(overlap)
  if (!new RegExp(SHIPPED_QUEUE_EXPRESSION).test(number)) {
    out.push(
      `${number} is not matched by the queue expression ${SHIPPED_QUEUE_EXPRESSION} of the shipped koplus.xml: unless you changed it, add the number to the koplus-queue extension of dialplan/koplus.xml and reloadxml`,
    )
  }
  return out
}
