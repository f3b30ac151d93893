// The Pareto view of SPEC §9: one point per model, both coordinates to minimise
// (misalignment against KL from the reference, or against capability loss). A model
// is on the frontier when no other model is at least as good on both axes and better
// on one. The plot is a self-contained SVG (no fonts, scripts or timestamps), so the
// same numbers always give the same bytes.
import { fail } from '../util/errors.js';

export interface ParetoPoint {
  label: string;
  x: number;
  y: number;
}

/** Indices of the points no other point dominates (lower is better on both axes), in order of x, then y. */
export function paretoFrontier(points: readonly ParetoPoint[]): number[] {
  const dominates = (a: ParetoPoint, b: ParetoPoint) => a.x <= b.x && a.y <= b.y && (a.x < b.x || a.y < b.y);
  return points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !points.some((q) => dominates(q, p)))
    .sort((a, b) => a.p.x - b.p.x || a.p.y - b.p.y)
    .map(({ i }) => i);
}

export interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
}

/**
 * A range covering [min, max] (and 0, as both axes measure non-negative quantities
 * from 0) whose ends are multiples of a 1-2-5 step giving about `count` intervals.
 */
export function niceAxis(min: number, max: number, count = 5): Axis {
  const lo0 = Math.min(0, min), hi0 = Math.max(0, max);
  if (hi0 === lo0) return { lo: lo0, hi: lo0 + 1, ticks: [lo0, lo0 + 0.5, lo0 + 1] };
  const raw = (hi0 - lo0) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9))!;
  const lo = Math.floor(lo0 / step + 1e-9) * step, hi = Math.ceil(hi0 / step - 1e-9) * step;
  const n = Math.round((hi - lo) / step);
  // Multiples of the step, rounded to its precision so 0.30000000000000004 prints as 0.3.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return { lo, hi, ticks: Array.from({ length: n + 1 }, (_, k) => Number((lo + k * step).toFixed(digits))) };
}

export interface ParetoPlotOptions {
  xLabel: string;
  yLabel: string;
  title?: string;
  width?: number;
  height?: number;
}

const MARGIN = { left: 78, right: 24, top: 40, bottom: 56 };
const FRONTIER_COLOUR = '#c0392b';
const OTHER_COLOUR = '#7f8c8d';

/** The points, the frontier (dashed, through its points in order of x) and labelled axes. */
export function paretoSvg(points: readonly ParetoPoint[], opts: ParetoPlotOptions): string {
  if (points.length === 0) fail('a Pareto plot needs at least one point');
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) fail(`point '${p.label}' of the Pareto plot has a coordinate that is not a finite number (${p.x}, ${p.y})`);
  }
  const width = opts.width ?? 640, height = opts.height ?? 420;
  const xa = niceAxis(Math.min(...points.map((p) => p.x)), Math.max(...points.map((p) => p.x)));
  const ya = niceAxis(Math.min(...points.map((p) => p.y)), Math.max(...points.map((p) => p.y)));
  const x0 = MARGIN.left, x1 = width - MARGIN.right, y0 = height - MARGIN.bottom, y1 = MARGIN.top;
  const sx = (v: number) => x0 + ((v - xa.lo) / (xa.hi - xa.lo)) * (x1 - x0);
  const sy = (v: number) => y0 - ((v - ya.lo) / (ya.hi - ya.lo)) * (y0 - y1);
  const frontier = paretoFrontier(points);
  const onFrontier = new Set(frontier);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (opts.title) out.push(`<text x="${fmt(width / 2)}" y="22" text-anchor="middle" font-size="14">${escapeXml(opts.title)}</text>`);
  for (const t of xa.ticks) {
    const x = fmt(sx(t));
    out.push(`<line x1="${x}" y1="${y1}" x2="${x}" y2="${y0}" stroke="#eeeeee"/>`, `<text x="${x}" y="${y0 + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of ya.ticks) {
    const y = fmt(sy(t));
    out.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#eeeeee"/>`, `<text x="${x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`);
  }
  out.push(
    `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="black"/>`,
    `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="black"/>`,
    `<text x="${fmt((x0 + x1) / 2)}" y="${height - 14}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`,
    `<text transform="translate(16 ${fmt((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`,
  );
  if (frontier.length > 1) {
    const path = frontier.map((i) => `${fmt(sx(points[i]!.x))},${fmt(sy(points[i]!.y))}`).join(' ');
    out.push(`<polyline class="frontier" points="${path}" fill="none" stroke="${FRONTIER_COLOUR}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  }
  points.forEach((p, i) => {
    const colour = onFrontier.has(i) ? FRONTIER_COLOUR : OTHER_COLOUR;
    const cx = fmt(sx(p.x)), cy = fmt(sy(p.y));
    out.push(
      `<circle class="${onFrontier.has(i) ? 'frontier-point' : 'point'}" cx="${cx}" cy="${cy}" r="5" fill="${colour}"><title>${escapeXml(`${p.label}: (${p.x}, ${p.y})`)}</title></circle>`,
      `<text x="${fmt(sx(p.x) + 8)}" y="${fmt(sy(p.y) - 8)}" fill="${colour}">${escapeXml(p.label)}</text>`,
    );
  });
  out.push(
    `<text x="${x1}" y="${y1 - 6}" text-anchor="end" fill="${FRONTIER_COLOUR}" font-size="11">- - Pareto frontier (lower is better on both axes)</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}

function fmt(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e5 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
