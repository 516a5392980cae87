import { describe, expect, it } from 'vitest';
import { nextOccurrence, parseNcrontab } from '../src/ncrontab';
import { parseSchedule } from '../src/timerScheduler';

const next = (expression: string, after: string) => nextOccurrence(parseNcrontab(expression), new Date(after)).toISOString();

describe('NCRONTAB next occurrence (UTC)', () => {
  it.each([
    // every 5 minutes
    ['0 */5 * * * *', '2024-01-01T10:02:30Z', '2024-01-01T10:05:00.000Z'],
    // strictly after: an exact match is not returned again
    ['0 */5 * * * *', '2024-01-01T10:05:00Z', '2024-01-01T10:10:00.000Z'],
    // every second, from a fractional time
    ['* * * * * *', '2024-01-01T00:00:00.500Z', '2024-01-01T00:00:01.000Z'],
    // lists
    ['15,45 * * * * *', '2024-01-01T00:00:15Z', '2024-01-01T00:00:45.000Z'],
    // a single value with a step runs to the end of the range: 5, 25, 45
    ['5/20 * * * * *', '2024-01-01T00:00:46Z', '2024-01-01T00:01:05.000Z'],
    // range with step: 9, 11, 13, 15, 17
    ['0 0 9-17/2 * * *', '2024-01-01T12:00:00Z', '2024-01-01T13:00:00.000Z'],
    ['0 0 9-17/2 * * *', '2024-01-01T17:00:00Z', '2024-01-02T09:00:00.000Z'],
    // weekdays: Friday 2024-03-08 10:00 -> Monday 2024-03-11 09:30
    ['0 30 9 * * Mon-Fri', '2024-03-08T10:00:00Z', '2024-03-11T09:30:00.000Z'],
    ['0 30 9 * * 1-5', '2024-03-08T09:00:00Z', '2024-03-08T09:30:00.000Z'],
    // day AND day-of-week (NCrontab semantics): the first Friday the 13th of 2024 is in September
    ['0 0 0 13 * Fri', '2024-01-01T00:00:00Z', '2024-09-13T00:00:00.000Z'],
    // month names; Jan 1 itself is excluded, so July
    ['0 0 0 1 jan,jul *', '2024-01-01T00:00:00Z', '2024-07-01T00:00:00.000Z'],
    // the 31st skips 30-day months
    ['0 0 0 31 * *', '2024-04-01T00:00:00Z', '2024-05-31T00:00:00.000Z'],
    // year rollover
    ['0 0 0 1 1 *', '2024-12-31T23:59:59Z', '2025-01-01T00:00:00.000Z'],
    // leap day: next after March 2024 is 2028
    ['0 0 12 29 Feb *', '2024-03-01T00:00:00Z', '2028-02-29T12:00:00.000Z'],
    // full day names and "?"
    ['0 0 6 ? * Sunday', '2024-03-08T00:00:00Z', '2024-03-10T06:00:00.000Z'],
    // Sunday is 0
    ['0 0 0 * * 0', '2024-03-10T00:00:00Z', '2024-03-17T00:00:00.000Z'],
  ])('%s after %s is %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it('reports a schedule that never occurs', () => {
    expect(() => next('0 0 0 31 2 *', '2024-01-01T00:00:00Z')).toThrow(/no occurrence/);
  });

  it.each([
    ['0 * * * *', /expected 6 fields/],
    ['60 * * * * *', /second value 60 is outside 0-59/],
    ['* * * * * 7', /day-of-week value 7 is outside 0-6/],
    ['*/0 * * * * *', /not a valid step/],
    ['* * 5-1 * * *', /goes backwards/],
    ['* * * * Foo *', /"Foo" is not a valid month/],
    ['* * * 0 * *', /day value 0 is outside 1-31/],
    ['1,,2 * * * * *', /empty list item/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(message);
  });
});

describe('timer schedules', () => {
  it('accepts TimeSpan intervals', () => {
    const schedule = parseSchedule('00:05:00');
    expect(schedule.adjustForDST).toBe(false);
    expect(schedule.next(new Date('2024-01-01T00:00:00Z')).toISOString()).toBe('2024-01-01T00:05:00.000Z');
  });

  it('prefers NCRONTAB and explains a bad expression', () => {
    expect(parseSchedule('0 0 * * * *').adjustForDST).toBe(true);
    expect(() => parseSchedule('every minute')).toThrow(/expected 6 fields/);
    expect(() => parseSchedule('00:00:00')).toThrow(/positive interval/);
  });
});
