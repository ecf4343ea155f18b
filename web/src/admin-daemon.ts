/**
 * The admin's daemon line (issue 12): with an active/standby pair, which daemon leads and the API address it
 * advertises (api.advertiseUrl, docs/scale-out.md), and this daemon's own role — read from GET /api/v1/status
 * (`leadership`) at start and every 15 s. A single daemon reports no leadership: the line stays hidden.
 */
import { get } from './api.js'
import { h } from './dom.js'
import { t } from './i18n.js'

interface Leadership {
  role: string
  nodeId: string
  leader?: { nodeId: string; api?: string }
}

const fill = (text: string, vars: Record<string, string>): string =>
  text.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m)

/** The line for a leadership view, in the current language. */
export function leadershipText(l: Leadership): string {
  const role = t(`daemon.role.${l.role}`)
  const api = (x: string | undefined): string => x ?? t('daemon.noApi')
  if (l.role === 'leader') return fill(t('daemon.leaderSelf'), { node: l.nodeId, api: api(l.leader?.api) })
  if (!l.leader) return fill(t('daemon.noLeader'), { node: l.nodeId, role })
  return fill(t('daemon.leaderOther'), { leader: l.leader.nodeId, api: api(l.leader.api), node: l.nodeId, role })
}

/** Adds the line at the end of the page and keeps it current; returns a function that re-renders it (language). */
export function daemonLine(): () => void {
  const el = h('footer', { id: 'daemon-line', class: 'daemon-line muted small', hidden: true })
  document.body.append(el)
  let last: Leadership | undefined
  const render = (): void => {
    el.hidden = !last
    el.textContent = last ? leadershipText(last) : ''
  }
  const load = async (): Promise<void> => {
    try {
      last = (await get<{ leadership?: Leadership }>('/status')).leadership
    } catch {
      // keep the last line shown; the next poll tries again
    }
    render()
    el.dataset.read = 'true' // the status has been read once (tests wait for it)
  }
  void load()
  window.setInterval(() => void load(), 15_000)
  return render
}
