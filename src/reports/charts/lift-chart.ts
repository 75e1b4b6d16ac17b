// A forest plot of each arm's relative lift with the interval the verdict uses, coloured by the
// same view (green improvement, red regression, grey otherwise). Scales to the page width (viewBox).
import { esc } from '../escape.js';
import { signedPercent } from '../verdict.js';
import type { ComparisonView } from '../view.js';
import { niceTicks } from './axis.js';
import { CHAR_WIDTH, GRID, MUTED, TEXT, TONE_COLOUR, ZERO } from './palette.js';

const WIDTH = 480;
const SIDE = 32;
const ROW = 46;
const TOP = 8;
const AXIS = 26;

/** Widest tick label ("−100%") plus a gap: ticks are at least this far apart. */
const TICK_ROOM = 6 * CHAR_WIDTH + 12;

export function liftChart(metric: string, views: readonly ComparisonView[]): string {
  const plotted = views.flatMap((v) => (v.liftInterval ? [...v.liftInterval, v.lift ?? 0] : []));
  const axis = niceTicks(
    Math.min(0, ...plotted),
    Math.max(0, ...plotted),
    Math.floor((WIDTH - 2 * SIDE) / TICK_ROOM) + 1,
  );
  const x = (v: number) => SIDE + ((v - axis.min) / (axis.max - axis.min)) * (WIDTH - 2 * SIDE);
  const height = TOP + views.length * ROW + AXIS;
  const bottom = height - AXIS;
  const parts: string[] = [
    `<svg class="chart lift" role="img" aria-label="Relative lift over control with intervals for ${esc(metric)}" viewBox="0 0 ${WIDTH} ${height}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`,
  ];
  for (const t of axis.ticks) {
    const tx = x(t).toFixed(1);
    parts.push(
      `<line class="grid" x1="${tx}" x2="${tx}" y1="${TOP}" y2="${bottom}" stroke="${t === 0 ? ZERO : GRID}"${t === 0 ? ' stroke-dasharray="4 3" stroke-width="1.5"' : ''}/>`,
      `<text class="tick" x="${tx}" y="${bottom + 18}" font-size="13" text-anchor="middle" fill="${MUTED}">${esc(signedPercent(t, 0))}</text>`,
    );
  }
  views.forEach((v, i) => {
    const y = TOP + i * ROW;
    const barY = y + 30;
    if (v.lift === null || v.liftInterval === null) {
      parts.push(
        `<text x="${SIDE}" y="${y + 16}" font-size="14" fill="${TEXT}">${esc(v.arm)}: no estimate yet</text>`,
      );
      return;
    }
    const colour = TONE_COLOUR[v.tone];
    const [l, h] = v.liftInterval;
    parts.push(
      `<text x="${SIDE}" y="${y + 16}" font-size="14" fill="${TEXT}">${esc(v.arm)}: ${esc(signedPercent(v.lift))} (${esc(signedPercent(l))} to ${esc(signedPercent(h))})</text>`,
      `<g class="bar ${v.tone}" data-significant="${v.significant}">`,
      `<line class="ci" x1="${x(l).toFixed(1)}" x2="${x(h).toFixed(1)}" y1="${barY}" y2="${barY}" stroke="${colour}" stroke-width="4"/>`,
      `<line x1="${x(l).toFixed(1)}" x2="${x(l).toFixed(1)}" y1="${barY - 7}" y2="${barY + 7}" stroke="${colour}" stroke-width="2"/>`,
      `<line x1="${x(h).toFixed(1)}" x2="${x(h).toFixed(1)}" y1="${barY - 7}" y2="${barY + 7}" stroke="${colour}" stroke-width="2"/>`,
      `<circle class="point" cx="${x(v.lift).toFixed(1)}" cy="${barY}" r="6" fill="${colour}"/>`,
      '</g>',
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
