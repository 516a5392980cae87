/**
 * Teams Workflows URLs carry their authorisation in the query (`sig=…`), and a URL
 * can carry credentials (`user:password@`): both are secrets wherever a URL is shown,
 * answered or logged. The host and path stay, so a person can still tell routes apart.
 */

const REDACTED = '[redacted]';

export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return REDACTED;
  }
  const userinfo = u.username || u.password ? `${REDACTED}@` : '';
  return `${u.protocol}//${userinfo}${u.host}${u.pathname}${u.search ? `?${REDACTED}` : ''}${u.hash ? `#${REDACTED}` : ''}`;
}

/** Every URL inside a text (an error message, a response body quoted in one). */
export function redactUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url));
}
