// Environment variables in experiment files: `${NAME}` and `${NAME:-default}` in string values,
// so one file serves a laptop, a container and a cluster (e.g. upstream hosts and ports).

/** Environment the files are resolved against (process.env, or a copy with overrides). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** `$$` (a literal "$"), or `${…}` up to the first "}". */
const TOKEN = /\$\$|\$\{([^}]*)\}/g;
const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** A problem found while resolving: the field (dot path) and the reason. */
export interface InterpolationProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * Resolves one string. `${NAME}` needs NAME to be set (an empty value is kept as empty);
 * `${NAME:-default}` uses `default` when NAME is unset or empty; `$$` is a literal "$".
 * A "$" followed by anything else is left alone. Returns the value or the reason it failed.
 */
export function interpolateString(text: string, env: Environment): { value: string } | { error: string } {
  if (!text.includes('$')) return { value: text };
  let error: string | undefined;
  const value = text.replace(TOKEN, (token, expression: string | undefined) => {
    if (token === '$$') return '$';
    const m = EXPRESSION.exec(expression ?? '');
    if (!m) {
      error ??= `"${token}" is not \${NAME} or \${NAME:-default}`;
      return token;
    }
    const name = m[1]!;
    const fallback = m[2];
    const set = env[name];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) {
      error ??= `environment variable ${name} is not set (write \${${name}:-default} to give a default)`;
      return token;
    }
    return set;
  });
  if (!error && text.replace(TOKEN, '').includes('${')) {
    error = `an unclosed "\${" (write $$ for a literal "$")`;
  }
  return error ? { error } : { value };
}

/**
 * Resolves every string value of a parsed document (keys are left as they are). Returns the
 * resolved copy and the problems, each naming the field as a dot path (`arms.1.upstream`).
 */
export function interpolateDocument(
  doc: unknown,
  env: Environment,
): { value: unknown; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      const r = interpolateString(node, env);
      if ('error' in r) {
        problems.push({ field: path.length > 0 ? path.join('.') : '(root)', message: r.error });
        return node;
      }
      return r.value;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return node;
  };
  return { value: walk(doc, []), problems };
}

/** Names of the variables a text refers to, e.g. to check that a deployment sets them. */
export function referencedVariables(text: string): { name: string; hasDefault: boolean }[] {
  const out: { name: string; hasDefault: boolean }[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const e = m[1] === undefined ? undefined : EXPRESSION.exec(m[1]);
    if (e) out.push({ name: e[1]!, hasDefault: e[2] !== undefined });
  }
  return out;
}
