/** Texts of the admin's daemon line (active/standby, docs/scale-out.md), merged into i18n.ts's dictionaries. */
export const DAEMON_SV: Record<string, string> = {
  'daemon.leaderSelf': 'Ledare: denna server ({node}), API {api}',
  'daemon.leaderOther': 'Ledare: {leader}, API {api} — denna server ({node}) är {role}',
  'daemon.noLeader': 'Ingen ledare känd — denna server ({node}) är {role}',
  'daemon.noApi': 'ej annonserat',
  'daemon.role.standby': 'reserv',
  'daemon.role.fenced': 'avstängd',
  'daemon.role.starting': 'på väg upp',
}

export const DAEMON_EN: Record<string, string> = {
  'daemon.leaderSelf': 'Leader: this server ({node}), API {api}',
  'daemon.leaderOther': 'Leader: {leader}, API {api} — this server ({node}) is {role}',
  'daemon.noLeader': 'No leader known — this server ({node}) is {role}',
  'daemon.noApi': 'not advertised',
  'daemon.role.standby': 'standby',
  'daemon.role.fenced': 'fenced',
  'daemon.role.starting': 'starting',
}
