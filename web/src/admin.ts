/**
 * The web admin (/admin, SPEC D1): a shell with a side navigation; each section lives in its own module and is
 * chosen by the location hash (#queues, #hours, #closures, #callbacks, #agents, #prompts, #stats).
 */
import { logout, requireAccount } from './api.js'
import { byId, h, replace, svg } from './dom.js'
import { langSwitch, t, translatePage } from './i18n.js'
import { subscribeStatus, type Status } from './live.js'
import type { AdminCtx } from './admin-ctx.js'
import { renderQueues } from './admin-queues.js'
import { renderHours } from './admin-hours.js'
import { renderClosures } from './admin-closures.js'
import { renderAgents } from './admin-agents.js'
import { renderPrompts } from './admin-prompts.js'
import { renderStats } from './admin-stats.js'
import { renderCallbacks } from './admin-callbacks.js'
import { daemonLine } from './admin-daemon.js'

type Section = (app: HTMLElement, ctx: AdminCtx) => Promise<void>

/** Icon paths (24×24, stroke) for the navigation. */
const ICONS: Record<string, string> = {
  queues: 'M4 6h16M4 12h16M4 18h10',
  hours: 'M12 7v5l3 2M12 3a9 9 0 1 0 0 18a9 9 0 0 0 0-18',
  closures: 'M7 11V8a5 5 0 0 1 10 0v3M5 11h14v9H5z',
  callbacks:
    'M5 4h4l2 5l-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2M15 3l3 3l-3 3M18 6h-6',
  agents: 'M16 19v-1a4 4 0 0 0-8 0v1M12 11a3 3 0 1 0 0-6a3 3 0 0 0 0 6',
  prompts: 'M4 10v4M8 7v10M12 4v16M16 8v8M20 11v2',
  stats: 'M5 19V11M10 19V5M15 19v-6M20 19V9',
}

const SECTIONS: [string, Section][] = [
  ['queues', renderQueues],
  ['hours', renderHours],
  ['closures', renderClosures],
  ['callbacks', renderCallbacks],
  ['agents', renderAgents],
  ['prompts', renderPrompts],
  ['stats', renderStats],
]

let status: Status | undefined
const listeners = new Set<() => void>()

function nav(current: string): void {
  replace(
    byId('sidenav'),
    SECTIONS.map(([id]) =>
      h(
        'a',
        { href: `#${id}`, 'aria-current': id === current ? 'page' : undefined, 'data-section': id },
        svg(
          'svg',
          {
            viewBox: '0 0 24 24',
            fill: 'none',
            stroke: 'currentColor',
            'stroke-width': 2,
            'stroke-linecap': 'round',
            'stroke-linejoin': 'round',
            'aria-hidden': 'true',
          },
          svg('path', { d: ICONS[id] }),
        ),
        t(`nav.${id}`),
      ),
    ),
  )
}

let generation = 0

async function show(ctxBase: Omit<AdminCtx, 'arg' | 'refresh'>): Promise<void> {
  const [id, ...rest] = location.hash.replace(/^#/, '').split('/')
  const entry = SECTIONS.find(([s]) => s === id) ?? SECTIONS[0]
  nav(entry[0])
  listeners.clear()
  const app = byId('app')
  app.setAttribute('aria-busy', 'true')
  const mine = ++generation
  const ctx: AdminCtx = {
    ...ctxBase,
    arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined,
    refresh: () => void show(ctxBase),
  }
  const holder = h('div', {})
  try {
    await entry[1](holder, ctx)
  } catch (e) {
    replace(holder, h('div', { class: 'notice error', role: 'alert' }, e instanceof Error ? e.message : String(e)))
  }
  if (mine !== generation) return // a newer navigation won
  replace(app, holder)
  app.setAttribute('aria-busy', 'false')
}

async function main(): Promise<void> {
  translatePage()
  const account = await requireAccount(['operator', 'tenant-admin'])
  byId('whoami').textContent = account.username
  byId('logout').addEventListener('click', () => void logout())
  const base: Omit<AdminCtx, 'arg' | 'refresh'> = {
    account,
    status: () => status,
    onStatus: (cb) => {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
  }
  const renderDaemonLine = daemonLine()
  langSwitch(byId('lang-switch'), () => {
    renderDaemonLine()
    void show(base)
  })
  subscribeStatus((s) => {
    status = s
    for (const l of [...listeners]) l()
  })
  window.addEventListener('hashchange', () => void show(base))
  await show(base)
}

void main()
