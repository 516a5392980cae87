/**
 * .NET TimeSpan strings, as host.json and timer schedules use them. Accepts the
 * invariant form `[-][d.]hh:mm[:ss[.fffffff]]`, the general form `[-]d:hh:mm:ss[.f]`
 * and a bare day count, because `TimeSpan.Parse` (what the real host calls) does.
 */

const CLOCK = /^(-)?(?:(\d+)[.:](?=\d{1,2}:\d{1,2}:))?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/;
const DAYS = /^(-)?(\d+)$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Milliseconds in a TimeSpan string; throws with the offending text when it is not one. */
export function parseTimeSpan(text: string): number {
  const s = text.trim();
  const days = DAYS.exec(s);
  if (days) return (days[1] ? -1 : 1) * Number(days[2]) * DAY;
  const m = CLOCK.exec(s);
  if (!m) throw new Error(`"${text}" is not a TimeSpan (expected hh:mm:ss or d.hh:mm:ss)`);
  const [, sign, d, hh, mm, ss, frac] = m;
  const h = Number(hh);
  const min = Number(mm);
  const sec = Number(ss ?? 0);
  if (h > 23 || min > 59 || sec > 59) throw new Error(`"${text}" is not a TimeSpan (a component is out of range)`);
  const ms = Number(d ?? 0) * DAY + h * HOUR + min * MINUTE + sec * SECOND + (frac ? Math.round(Number(`0.${frac}`) * SECOND) : 0);
  return sign ? -ms : ms;
}

/** Formats milliseconds the way .NET prints a TimeSpan (`[d.]hh:mm:ss[.fff]`), for messages. */
export function formatTimeSpan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const d = Math.floor(rest / DAY);
  rest -= d * DAY;
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(rest / HOUR);
  const m = Math.floor((rest % HOUR) / MINUTE);
  const s = Math.floor((rest % MINUTE) / SECOND);
  const f = rest % SECOND;
  return `${sign}${d ? `${d}.` : ''}${pad(h)}:${pad(m)}:${pad(s)}${f ? `.${String(f).padStart(3, '0')}` : ''}`;
}
