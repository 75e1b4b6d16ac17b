// Request paths that could climb out of an arm's base path on some upstream server.
// Upstreams differ: some treat "\" as "/", decode "%2f" before resolving, drop ";…" path parameters
// ("..;/" on Tomcat/Jetty) or decode twice. A path is refused when any such reading gives a dot segment.

/** Characters without which a path is safe: the fast path for ordinary model routes. */
const SUSPECT = /[.%\\]/;

/** Percent-encodings that some server decodes into path syntax, and what they become. */
const ENCODED = /%(?:2e|2f|5c|25|00|c0%ae|c0%af|c1%9c)/gi;
const DECODED: Readonly<Record<string, string>> = {
  '%2e': '.',
  '%2f': '/',
  '%5c': '\\',
  '%25': '%',
  '%00': '\0',
  '%c0%ae': '.', // overlong UTF-8 forms, decoded by some old servers
  '%c0%af': '/',
  '%c1%9c': '\\',
};

/** How many rounds of decoding are undone ("%252e" is "." after two). */
const DECODE_ROUNDS = 3;

/**
 * True when `path` (without the query) has a "." or ".." segment in any reading (raw, percent-decoded
 * up to three times, "\" or an encoded slash as a separator, ";" parameters dropped), or a backslash
 * or NUL anywhere.
 */
export function isUnsafePath(path: string): boolean {
  if (!SUSPECT.test(path)) return false;
  let p = path;
  for (let round = 0; round < DECODE_ROUNDS && p.includes('%'); round++) {
    const next = p.replace(ENCODED, (m) => DECODED[m.toLowerCase()] ?? m);
    if (next === p) break;
    p = next;
  }
  if (p.includes('\\') || p.includes('\0')) return true;
  if (!p.includes('.')) return false;
  for (const segment of p.split('/')) {
    const name = segment.split(';', 1)[0];
    if (name === '.' || name === '..') return true;
  }
  return false;
}
