/**
 * NCRONTAB expressions as the Functions timer trigger uses them:
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC.
 * Like the NCrontab library (and unlike classic cron), day and day-of-week must
 * BOTH match when both are restricted: `0 0 0 13 * Fri` is Friday the 13th.
 */

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export interface CronSchedule {
  expression: string;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
}

function parseValue(text: string, spec: FieldSpec): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) throw new Error(`${spec.name} value ${n} is outside ${spec.min}-${spec.max}`);
    return n;
  }
  // NCrontab compares the first three letters, so "Mon" and "Monday" both work.
  const index = spec.names && text.length >= 3 ? spec.names.indexOf(text.slice(0, 3).toLowerCase()) : -1;
  if (index < 0) throw new Error(`"${text}" is not a valid ${spec.name}`);
  return spec.min + index;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new Error(`empty list item in ${spec.name} field "${text}"`);
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '') throw new Error(`"${item}" is not a valid ${spec.name}`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new Error(`"${stepText}" is not a valid step in ${spec.name} field`);
      step = Number(stepText);
    }
    let first: number;
    let last: number;
    if (range === '*' || range === '?') {
      first = spec.min;
      last = spec.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || !a || !b) throw new Error(`"${range}" is not a valid ${spec.name} range`);
      first = parseValue(a, spec);
      last = parseValue(b, spec);
      if (last < first) throw new Error(`${spec.name} range "${range}" goes backwards`);
    } else {
      first = parseValue(range, spec);
      // A single value with a step means "from here to the end" in NCrontab.
      last = stepText === undefined ? first : spec.max;
    }
    for (let v = first; v <= last; v += step) values.add(v);
  }
  return values;
}

export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(
      `"${expression}" is not an NCRONTAB expression: expected 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), found ${parts.length}`,
    );
  }
  try {
    const [seconds, minutes, hours, days, months, daysOfWeek] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [
      Set<number>,
      Set<number>,
      Set<number>,
      Set<number>,
      Set<number>,
      Set<number>,
    ];
    return { expression, seconds, minutes, hours, days, months, daysOfWeek };
  } catch (e) {
    throw new Error(`"${expression}" is not a valid NCRONTAB expression: ${(e as Error).message}`, { cause: e });
  }
}

const SEARCH_YEARS = 50;

/**
 * The first occurrence strictly after `after`, in UTC. Walks from the largest unit down,
 * jumping to the start of the next month/day/hour/minute when a unit does not match.
 */
export function nextOccurrence(schedule: CronSchedule, after: Date): Date {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getUTCFullYear() + SEARCH_YEARS;
  while (t.getUTCFullYear() <= limit) {
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.days.has(t.getUTCDate()) || !schedule.daysOfWeek.has(t.getUTCDay())) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!schedule.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      continue;
    }
    return t;
  }
  throw new Error(`NCRONTAB expression "${schedule.expression}" has no occurrence in the next ${SEARCH_YEARS} years`);
}
