/**
 * Admin: voice prompts (SPEC D3) — upload any common audio file (the API converts it with sox to 8 kHz mono WAV),
 * per prompt, language and queue (or every queue); play each in the browser; go back to the default. A bad or
 * empty file shows the API's error and replaces nothing.
 */
import { call, del, list } from './api.js'
import { dateTime, h, replace } from './dom.js'
import { field, notice, select, showError, showOk, toast } from './form.js'
import { lang, t } from './i18n.js'
import type { AdminCtx, Queue } from './admin-ctx.js'

interface Prompt {
  id: string
  tenantId: string
  queueId: string | null
  language: 'sv' | 'en'
  name: string
  createdAt: number
}

const NAMES: [string, string, string][] = [
  ['welcome', 'Välkomstmeddelande', 'Welcome'],
  ['queue-first', 'Första kömeddelandet', 'First queue message'],
  ['queue-periodic', 'Upprepat kömeddelande', 'Repeated queue message'],
  ['closed', 'Stängt', 'Closed'],
  ['overflow', 'Överflöde', 'Overflow'],
  ['no-agents', 'Ingen agent inloggad', 'No agent logged in'],
  ['moh', 'Väntemusik', 'Music on hold'],
]

function promptLabel(name: string): string {
  const n = NAMES.find(([id]) => id === name)
  return n ? (lang() === 'sv' ? n[1] : n[2]) : name
}

export async function renderPrompts(app: HTMLElement, ctx: AdminCtx): Promise<void> {
  const [prompts, queues] = await Promise.all([list<Prompt>('/prompts'), list<Queue>('/queues')])
  const qName = new Map(queues.map((q) => [q.id, q.name]))
  const name = select(
    NAMES.map(([id]) => [id, promptLabel(id)]),
    'welcome',
    { 'data-field': 'name', name: 'name' },
  )
  const language = select(
    [
      ['sv', 'Svenska'],
      ['en', 'English'],
    ],
    'sv',
    { 'data-field': 'language', name: 'language' },
  )
  const queue = select([['', t('prompts.allQueues')], ...queues.map((q): [string, string] => [q.id, q.name])], '', {
    'data-field': 'queue',
    name: 'queue',
  })
  const file = h('input', {
    type: 'file',
    accept: 'audio/*,.wav,.mp3,.ogg,.flac,.aiff,.au',
    'data-field': 'body',
    name: 'file',
    required: true,
  })
  const msg = notice()
  const button = h('button', { type: 'submit', class: 'primary' }, t('prompts.upload'))
  const form = h(
    'form',
    { class: 'card', id: 'prompt-form', novalidate: true },
    h('h2', {}, t('prompts.upload')),
    msg,
    h(
      'div',
      { class: 'grid2' },
      field(t('prompts.which'), name),
      field(t('common.language'), language),
      field(t('prompts.forQueue'), queue),
    ),
    field(t('prompts.file'), file),
    button,
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const f = file.files?.[0]
    const qs = new URLSearchParams({ name: name.value, language: language.value })
    if (queue.value) qs.set('queue', queue.value)
    button.disabled = true
    // an empty selection is sent as an empty body: the API answers with its own error
    call<Prompt>('POST', `/prompts/upload?${qs}`, undefined, {
      raw: f ?? new Blob([]),
      contentType: f?.type || 'application/octet-stream',
    })
      .then(
        () => {
          showOk(msg, t('prompts.uploaded'))
          window.setTimeout(ctx.refresh, 600)
        },
        (e) => showError(form, msg, e),
      )
      .finally(() => {
        button.disabled = false
      })
  })
  const table = prompts.length
    ? h(
        'table',
        { id: 'prompt-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [t('prompts.which'), t('common.language'), t('prompts.forQueue'), '', ''].map((c) =>
              h('th', { scope: 'col' }, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          prompts.map((p) =>
            h(
              'tr',
              { 'data-prompt': p.id },
              h(
                'td',
                {},
                h('strong', {}, promptLabel(p.name)),
                h('div', { class: 'small muted' }, dateTime(p.createdAt, lang())),
              ),
              h('td', {}, p.language.toUpperCase()),
              h('td', {}, p.queueId ? (qName.get(p.queueId) ?? p.queueId) : t('prompts.allQueues')),
              h(
                'td',
                {},
                h('audio', {
                  controls: true,
                  preload: 'none',
                  src: `/api/v1/prompts/${encodeURIComponent(p.id)}/audio?v=${p.createdAt}`,
                  'aria-label': `${t('prompts.play')}: ${promptLabel(p.name)}`,
                }),
              ),
              h(
                'td',
                { class: 'actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'ghost danger',
                    onclick: () =>
                      void del(`/prompts/${encodeURIComponent(p.id)}`).then(ctx.refresh, (e: Error) =>
                        toast(e.message, 'error'),
                      ),
                  },
                  t('prompts.reset'),
                ),
              ),
            ),
          ),
        ),
      )
    : h('p', { class: 'empty' }, t('prompts.none'))
  replace(
    app,
    h('div', { class: 'page-head' }, h('h1', {}, t('prompts.title'))),
    form,
    h('section', { class: 'card' }, h('div', { class: 'table-wrap' }, table)),
  )
}
