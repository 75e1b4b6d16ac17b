// The cumulative relative lift of one arm day by day, with its adjusted interval as a band: how
// the estimate settled over time. O(days) per arm: the points come from `report.time_series`.
import type { SeriesPoint } from '../../core/stats/index.js';
import { esc } from '../escape.js';
import { signedPercent } from '../verdict.js';
import { niceTicks, spacedIndices } from './axis.js';
import { BAND, CHAR_WIDTH, GRID, MUTED, SERIES, ZERO } from './palette.js';

const WIDTH = 480;
const HEIGHT = 200;
const LEFT = 60;
const RIGHT = 24;
const TOP = 10;
const BOTTOM = 28;
/** Vertical room per y label (font-size 12) and horizontal room per day label ("11-28"). */
const Y_LABEL_ROOM = 28;
const DAY_LABEL_ROOM = 5 * CHAR_WIDTH + 24;

type Estimated = SeriesPoint & { relative_lift: number; relative_lift_ci_adjusted: [number, number] };

function estimated(p: SeriesPoint): p is Estimated {
  return p.relative_lift !== null && p.relative_lift_ci_adjusted !== null;
}

export function timeChart(metric: string, arm: string, points: readonly SeriesPoint[]): string {
  const shown = points.filter(estimated);
  if (shown.length === 0) return `<p class="muted">No daily estimate yet for ${esc(arm)}.</p>`;
  // The first days' intervals are wide: the axis covers every estimate and the latest interval
  // (with room around it); older bands beyond that are cut at the chart's edge.
  const latest = shown[shown.length - 1]!.relative_lift_ci_adjusted;
  const values = [...shown.map((p) => p.relative_lift), ...latest];
  const span = Math.max(...values) - Math.min(...values);
  values.push(Math.min(...values) - span * 0.5, Math.max(...values) + span * 0.5);
  const plotH = HEIGHT - TOP - BOTTOM;
  const plotW = WIDTH - LEFT - RIGHT;
  const axis = niceTicks(
    Math.min(0, ...values),
    Math.max(0, ...values),
    Math.floor(plotH / Y_LABEL_ROOM) + 1,
  );
  const y = (v: number) =>
    TOP + (1 - (Math.min(axis.max, Math.max(axis.min, v)) - axis.min) / (axis.max - axis.min)) * plotH;
  const n = points.length;
  const x = (i: number) => LEFT + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const index = new Map(points.map((p, i) => [p, i]));
  const parts: string[] = [
    `<svg class="chart time" role="img" aria-label="Cumulative relative lift of ${esc(arm)} over control on ${esc(metric)}, day by day" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`,
  ];
  for (const t of axis.ticks) {
    const ty = y(t).toFixed(1);
    parts.push(
      `<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${ty}" y2="${ty}" stroke="${t === 0 ? ZERO : GRID}"${t === 0 ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text class="tick" x="${LEFT - 6}" y="${(y(t) + 4).toFixed(1)}" font-size="13" text-anchor="end" fill="${MUTED}">${esc(signedPercent(t, 0))}</text>`,
    );
  }
  // Day labels: as many as have room, evenly spaced, the last day always.
  for (const i of spacedIndices(n, Math.floor(plotW / DAY_LABEL_ROOM) + 1)) {
    const p = points[i]!;
    const anchor = n === 1 ? 'middle' : i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    parts.push(
      `<text class="tick" x="${x(i).toFixed(1)}" y="${HEIGHT - 8}" font-size="13" text-anchor="${anchor}" fill="${MUTED}">${esc(p.day.slice(5))}</text>`,
    );
  }
  const band =
    shown
      .map((p) => `${x(index.get(p)!).toFixed(1)},${y(p.relative_lift_ci_adjusted[1]).toFixed(1)}`)
      .join(' ') +
    ' ' +
    [...shown]
      .reverse()
      .map((p) => `${x(index.get(p)!).toFixed(1)},${y(p.relative_lift_ci_adjusted[0]).toFixed(1)}`)
      .join(' ');
  parts.push(`<polygon class="band" points="${band}" fill="${BAND}" fill-opacity="0.6"/>`);
  parts.push(
    `<polyline class="lift" points="${shown.map((p) => `${x(index.get(p)!).toFixed(1)},${y(p.relative_lift).toFixed(1)}`).join(' ')}" fill="none" stroke="${SERIES}" stroke-width="2"/>`,
  );
  for (const p of shown) {
    parts.push(
      `<circle class="day" cx="${x(index.get(p)!).toFixed(1)}" cy="${y(p.relative_lift).toFixed(1)}" r="3" fill="${SERIES}"><title>${esc(p.day)}: ${esc(signedPercent(p.relative_lift))} (${esc(signedPercent(p.relative_lift_ci_adjusted[0]))} to ${esc(signedPercent(p.relative_lift_ci_adjusted[1]))})</title></circle>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
