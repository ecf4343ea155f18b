/**
 * Small inline SVG charts drawn by hand (no library): grouped bars (calls per hour, answered vs abandoned) and
 * lines (service level, waits). Each returns an <svg> with a <title> and a description for screen readers.
 */
import { svg } from './dom.js'

export interface Series {
  name: string
  color: string
  values: (number | null)[]
}

export interface ChartOptions {
  title: string
  labels: string[]
  series: Series[]
  width?: number
  height?: number
  /** Fixed top of the value axis (e.g. 100 for percentages). */
  max?: number
  /** Formats axis values (default: integer). */
  format?: (v: number) => string
  /** Values are counts: whole-number axis steps. */
  integer?: boolean
  /** Show every n-th x label (default: so that at most ~12 show). */
  labelEvery?: number
}

const PAD = { top: 12, right: 12, bottom: 26, left: 40 }

/** A "nice" axis top and step for values up to `max`. */
export function niceScale(max: number, ticks = 4, integer = false): { top: number; step: number } {
  if (!(max > 0)) return { top: ticks, step: 1 }
  const raw = integer ? Math.max(1, max / ticks) : max / ticks
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  return { top: Math.ceil(max / step) * step, step }
}

function frame(
  o: ChartOptions,
  w: number,
  ht: number,
): { root: SVGSVGElement; y: (v: number) => number; plotW: number; top: number } {
  const values = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null))
  const { top, step } =
    o.max !== undefined ? { top: o.max, step: o.max / 4 } : niceScale(Math.max(0, ...values), 4, o.integer)
  const plotH = ht - PAD.top - PAD.bottom
  const plotW = w - PAD.left - PAD.right
  const y = (v: number): number => PAD.top + plotH - (v / top) * plotH
  const fmt = o.format ?? ((v: number) => String(Math.round(v)))
  const summary = o.series
    .map((s) => `${s.name}: ${s.values.map((v, i) => `${o.labels[i]} ${v === null ? '–' : fmt(v)}`).join(', ')}`)
    .join('; ')
  const root = svg(
    'svg',
    { viewBox: `0 0 ${w} ${ht}`, class: 'chart', role: 'img', 'aria-label': `${o.title}. ${summary}` },
    svg('title', {}, o.title),
  )
  for (let v = 0; v <= top + 1e-9; v += step) {
    root.append(svg('line', { x1: PAD.left, x2: w - PAD.right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }))
    root.append(svg('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)))
  }
  const every = o.labelEvery ?? Math.max(1, Math.ceil(o.labels.length / 12))
  const slot = plotW / Math.max(1, o.labels.length)
  o.labels.forEach((l, i) => {
    if (i % every !== 0) return
    root.append(svg('text', { x: PAD.left + slot * (i + 0.5), y: ht - 8, 'text-anchor': 'middle' }, l))
  })
  return { root, y, plotW, top }
}

/** Grouped bars: one group per label, one bar per series. */
export function barChart(o: ChartOptions): SVGSVGElement {
  const w = o.width ?? 720
  const ht = o.height ?? 240
  const { root, y, plotW } = frame({ integer: true, ...o }, w, ht)
  const slot = plotW / Math.max(1, o.labels.length)
  const groupW = slot * 0.72
  const barW = groupW / Math.max(1, o.series.length)
  o.labels.forEach((label, i) => {
    o.series.forEach((s, j) => {
      const v = s.values[i] ?? 0
      if (v <= 0) return
      const x = PAD.left + slot * i + (slot - groupW) / 2 + j * barW
      const top = y(v)
      root.append(
        svg(
          'rect',
          { x: x + 0.5, y: top, width: Math.max(1, barW - 1), height: y(0) - top, rx: 2, fill: s.color },
          svg('title', {}, `${label} · ${s.name}: ${v}`),
        ),
      )
    })
  })
  return root
}

/** Lines with dots; null values break the line. */
export function lineChart(o: ChartOptions): SVGSVGElement {
  const w = o.width ?? 720
  const ht = o.height ?? 220
  const { root, y, plotW } = frame(o, w, ht)
  const slot = plotW / Math.max(1, o.labels.length)
  const fmt = o.format ?? ((v: number) => String(Math.round(v)))
  for (const s of o.series) {
    let d = ''
    let pen = false
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false
        return
      }
      const x = PAD.left + slot * (i + 0.5)
      d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y(v).toFixed(1)}`
      pen = true
    })
    if (d)
      root.append(
        svg('path', {
          d,
          fill: 'none',
          stroke: s.color,
          'stroke-width': 2.5,
          'stroke-linejoin': 'round',
          'stroke-linecap': 'round',
        }),
      )
    s.values.forEach((v, i) => {
      if (v === null) return
      root.append(
        svg(
          'circle',
          { cx: PAD.left + slot * (i + 0.5), cy: y(v), r: 3.5, fill: '#fff', stroke: s.color, 'stroke-width': 2 },
          svg('title', {}, `${o.labels[i]} · ${s.name}: ${fmt(v)}`),
        ),
      )
    })
  }
  return root
}
