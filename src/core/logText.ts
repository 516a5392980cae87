/**
 * Payload values end up in log lines. A newline would let a sender start a line of its
 * own (a forged "Executed ..." or "queued ..."), a NUL or an escape sequence can truncate
 * or repaint a terminal or log viewer: every control and separator character is written
 * as a JSON-style escape instead, and the backslash itself is doubled so escapes stay
 * unambiguous.
 */
// eslint-disable-next-line no-control-regex -- control characters are what is escaped
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

export function escapeForLog(value: string): string {
  return value.replace(UNSAFE, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
