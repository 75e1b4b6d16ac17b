// Colours of the charts and the page. Text colours have a contrast of at least 4.5:1 on white
// (WCAG AA): #1f2328 15.8:1, #57606a 6.2:1, #1a7f37 5.1:1, #cf222e 5.4:1, #0969da 5.2:1.
import type { Tone } from '../view.js';

export const TEXT = '#1f2328';
export const MUTED = '#57606a';
export const GRID = '#d0d7de';
export const ZERO = '#57606a';
export const SERIES = '#0969da';
export const BAND = '#b6d7ff';

export const TONE_COLOUR: Record<Tone, string> = {
  improvement: '#1a7f37',
  regression: '#cf222e',
  neutral: '#57606a',
  untrustworthy: '#57606a',
  none: '#57606a',
};

/** Characters a chart label may take, in viewBox units per character at font-size 13 (generous). */
export const CHAR_WIDTH = 8.5;
