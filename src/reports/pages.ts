// The report pages around the reports: the list of experiments and the login form.
import { esc } from './escape.js';
import { logoutForm, pageShell } from './html.js';
import { table } from './sections/table.js';

export interface ExperimentListItem {
  id: string;
  description: string;
  status: string;
  phase: number;
  traffic: number;
  /** Exposed users in the current phase; null when the store cannot be read. */
  users: number | null;
}

export function experimentListHtml(
  items: readonly ExperimentListItem[],
  options: { logout?: boolean } = {},
): string {
  const rows = items.map((e) => [
    `<a href="/reports/${encodeURIComponent(e.id)}">${esc(e.id)}</a>`,
    esc(e.description),
    esc(e.status),
    esc(e.phase),
    `${esc(e.traffic)}%`,
    esc(e.users ?? 'n/a'),
  ]);
  const body = `<header>${options.logout ? `<nav class="meta">${logoutForm()}</nav>` : ''}<h1>abgate reports</h1></header>
${
  items.length === 0
    ? '<p>No experiments are loaded.</p>'
    : table(
        'Experiments',
        ['experiment', 'description', 'state', 'phase', 'traffic', 'users (this phase)'],
        rows,
        'wrap',
      )
}`;
  return pageShell('abgate reports', body);
}

export function loginHtml(next: string, error?: string): string {
  const body = `<header><h1>abgate reports</h1></header>
<p>These reports need the API token (<code>ABGATE_API_TOKEN</code>). It is checked once and not stored in the browser: the browser keeps a signed session cookie for 12 hours.</p>
${error ? `<p class="banner srm" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/reports/_login">
<input type="hidden" name="next" value="${esc(next)}">
<p><label for="token">API token</label><br><input id="token" name="token" type="password" autocomplete="current-password" required autofocus></p>
<p><button type="submit">Open reports</button></p>
</form>`;
  return pageShell('abgate reports: log in', body);
}
