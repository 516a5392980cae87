/** Human figures for alerts: binary units, as the thresholds are set in MiB. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '−' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : 1;
  return `${sign}${v.toFixed(digits)} ${UNITS[u]}`;
}

export function formatDeltaBytes(bytes: number): string {
  return bytes > 0 ? `+${formatBytes(bytes)}` : formatBytes(bytes);
}

export function formatPercent(fraction: number): string {
  const pct = fraction * 100;
  const text = Math.abs(pct) >= 10 ? pct.toFixed(0) : pct.toFixed(1);
  return `${pct > 0 ? '+' : pct < 0 ? '−' : ''}${text.replace('-', '')}%`;
}

/** A share, not a change: 0.874 → "87.4%" (one decimal, so 99.9% is not shown as 100%). */
export function formatShare(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

export function formatSeconds(s: number): string {
  return s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(1)} s`;
}

export function formatDeltaSeconds(s: number): string {
  return `${s > 0 ? '+' : s < 0 ? '−' : '±'}${formatSeconds(Math.abs(s))}`;
}

/** Cents, or four decimals for amounts under a cent so they do not show as 0.00. */
function moneyDigits(amount: number): number {
  const abs = Math.abs(amount);
  return abs !== 0 && abs < 0.01 ? 4 : 2;
}

function fixed(units: number, digits: number, currency: string): string {
  return `${units < 0 ? '−' : ''}${(Math.abs(units) / 10 ** digits).toFixed(digits)} ${currency}`;
}

export function formatMoney(amount: number, currency: string): string {
  const digits = moneyDigits(amount);
  return fixed(Math.round(amount * 10 ** digits), digits, currency);
}

/**
 * `before → after (±delta)` at one precision, the finest any of the three needs, with
 * the delta taken from the rounded figures: a reader can check the arithmetic
 * ("0.01 USD → 0.0043 USD (−0.0099 USD)" could not be).
 */
export function formatMoneyChange(before: number, after: number, currency: string): string {
  const digits = Math.max(moneyDigits(before), moneyDigits(after), moneyDigits(after - before));
  const b = Math.round(before * 10 ** digits);
  const a = Math.round(after * 10 ** digits);
  const d = a - b;
  return `${fixed(b, digits, currency)} → ${fixed(a, digits, currency)} (${d > 0 ? '+' : d === 0 ? '±' : ''}${fixed(d, digits, currency)})`;
}

/** `sha256:0123456789ab`: enough to recognise, short enough for a card. */
export function shortDigest(digest: string): string {
  const [alg, hex] = digest.split(':');
  return hex ? `${alg}:${hex.slice(0, 12)}` : digest;
}

export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  // Never keep half of a surrogate pair (an emoji): it is not valid text.
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return text.slice(0, end) + '…';
}

/**
 * A history `created_by` as the Dockerfile line a person wrote: without the shell the
 * builder ran it through, the ARG values BuildKit records, or the `# buildkit` marker.
 */
export function formatStep(createdBy: string): string {
  let s = createdBy
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s*# buildkit$/, '');
  const run = /^RUN\s+/.exec(s);
  if (run) s = s.slice(run[0].length);
  s = s.replace(/^\|\d+\s+(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*/, '');
  const shell = /^\S*\b(?:ba|da|a|z)?sh\s+(?:-o\s+\S+\s+|-[a-zA-Z]+\s+)*-c\s+/.exec(s);
  if (shell) s = s.slice(shell[0].length).replace(/^#\(nop\)\s+/, '');
  return run || (shell && !/^[A-Z]+\s/.test(s)) ? `RUN ${s}` : s;
}
