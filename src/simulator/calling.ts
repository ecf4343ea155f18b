/**
 * Event-Calling-File / -Function / -Line-Number of each event as FreeSWITCH 1.10.12 sends them
 * (taken from the captures in ../shared/esl-captures).
 */
export const CALLING: Record<string, [string, string, string]> = {
  API: ['switch_loadable_module.c', 'switch_api_execute', '2954'],
  BACKGROUND_JOB: ['mod_event_socket.c', 'api_exec', '1572'],
  CHANNEL_ANSWER: ['switch_channel.c', 'switch_channel_perform_mark_answered', '3846'],
  CHANNEL_BRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', '1689'],
  CHANNEL_CREATE: ['switch_core_state_machine.c', 'switch_core_session_run', '626'],
  CHANNEL_DESTROY: ['switch_core_session.c', 'switch_core_session_perform_destroy', '1584'],
  CHANNEL_EXECUTE: ['switch_core_session.c', 'switch_core_session_exec', '2944'],
  CHANNEL_EXECUTE_COMPLETE: ['switch_core_session.c', 'switch_core_session_exec', '2967'],
  CHANNEL_HANGUP: ['switch_channel.c', 'switch_channel_perform_hangup', '3445'],
  CHANNEL_HANGUP_COMPLETE: ['switch_core_state_machine.c', 'switch_core_session_reporting_state', '943'],
  CHANNEL_PARK: ['switch_ivr.c', 'switch_ivr_park', '1002'],
  CHANNEL_PROGRESS: ['switch_channel.c', 'switch_channel_perform_mark_ring_ready_value', '3505'],
  CHANNEL_PROGRESS_MEDIA: ['switch_channel.c', 'switch_channel_perform_mark_pre_answered', '3560'],
  CHANNEL_UNBRIDGE: ['switch_ivr_bridge.c', 'switch_ivr_multi_threaded_bridge', '1879'],
  CHANNEL_UNPARK: ['switch_ivr.c', 'switch_ivr_park', '1213'],
  DTMF: ['switch_channel.c', 'switch_channel_dequeue_dtmf', '677'],
  HEARTBEAT: ['switch_core.c', 'send_heartbeat', '95'],
  PLAYBACK_START: ['switch_ivr_play_say.c', 'switch_ivr_play_file', '1646'],
  PLAYBACK_STOP: ['switch_ivr_play_say.c', 'switch_ivr_play_file', '2020'],
  RECORD_START: ['switch_ivr_play_say.c', 'switch_ivr_record_file_event', '767'],
  RECORD_STOP: ['switch_ivr_play_say.c', 'switch_ivr_record_file_event', '1030'],
  RELOADXML: ['switch_xml.c', 'switch_xml_open_root', '2385'],
  'sofia::register': ['sofia_reg.c', 'sofia_reg_handle_register_token', '2059'],
  'sofia::unregister': ['sofia_reg.c', 'sofia_reg_handle_register_token', '2213'],
  'sofia::expire': ['sofia_reg.c', 'sofia_reg_del_callback', '726'],
}
