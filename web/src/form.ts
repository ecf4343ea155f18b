/** Form helpers of the admin pages: labelled fields, notices and the API's validation errors shown at the field. */
import { ApiFailure } from './api.js'
import { h } from './dom.js'

let seq = 0

/** A labelled field: the label points at the control (its id is set when missing). */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = `f${++seq}`
  return h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('div', { class: 'hint' }, hint) : null,
  )
}

/** A checkbox with its label after it. */
export function checkbox(
  label: string,
  checked: boolean,
  attrs: Record<string, string> = {},
): { el: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { type: 'checkbox', checked, ...attrs })
  return { el: h('label', { class: 'check' }, input, label), input }
}

export function input(attrs: Record<string, string | number | boolean | undefined>): HTMLInputElement {
  return h('input', { type: 'text', ...attrs })
}

export function select(
  options: [string, string][],
  value: string,
  attrs: Record<string, string> = {},
): HTMLSelectElement {
  return h(
    'select',
    attrs,
    options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)),
  )
}

/**
 * Show an error in `notice` (a .notice element) and mark the control named by the API's `field`
 * (data-field="ringTimeSec" or "settings.ringTimeSec") as invalid.
 */
export function showError(form: HTMLElement, notice: HTMLElement, err: unknown): void {
  for (const el of Array.from(form.querySelectorAll('[aria-invalid=true]'))) el.removeAttribute('aria-invalid')
  const msg = err instanceof ApiFailure ? err.message : err instanceof Error ? err.message : String(err)
  notice.className = 'notice error'
  notice.setAttribute('role', 'alert')
  notice.textContent = msg
  notice.hidden = false
  if (err instanceof ApiFailure && err.field) {
    const name = err.field.replace(/^settings\./, '').replace(/\[\d+\].*$/, '')
    const el = form.querySelector<HTMLElement>(
      `[data-field="${CSS.escape(err.field)}"], [data-field="${CSS.escape(name)}"]`,
    )
    if (el) {
      el.setAttribute('aria-invalid', 'true')
      el.focus()
    }
  }
}

/** Show a success message in `notice`. */
export function showOk(notice: HTMLElement, text: string): void {
  notice.className = 'notice ok'
  notice.setAttribute('role', 'status')
  notice.textContent = text
  notice.hidden = false
}

/** An empty, hidden notice element. */
export function notice(): HTMLElement {
  return h('div', { class: 'notice', hidden: true })
}

/** A short-lived message at the bottom right. */
export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  let box = document.querySelector('.toasts')
  if (!box) {
    box = h('div', { class: 'toasts' })
    document.body.append(box)
  }
  const el = h('div', { class: `notice ${kind} toast`, role: kind === 'error' ? 'alert' : 'status' }, text)
  box.append(el)
  window.setTimeout(() => el.remove(), kind === 'error' ? 6000 : 2500)
}

/** An integer from a number input, or undefined when empty. */
export function intOf(el: HTMLInputElement): number | undefined {
  if (el.value.trim() === '') return undefined
  const n = Number(el.value)
  return Number.isFinite(n) ? Math.round(n) : undefined
}
