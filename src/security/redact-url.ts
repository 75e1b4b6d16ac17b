// Hides credentials in URLs that the API shows (experiment definitions): http://user:***@host/…

/** `url` with its password (or a lone user name, which may be a token) replaced by "***". */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (u.username === '' && u.password === '') return url;
  if (u.password !== '') u.password = '***';
  else u.username = '***';
  return u.toString();
}
