import { describe, expect, it } from 'vitest';
import { formatTimeSpan, parseTimeSpan } from '../src/timeSpan';

describe('parseTimeSpan', () => {
  it.each([
    ['00:00:00', 0],
    ['00:00:01', 1_000],
    ['00:05:00', 300_000],
    ['01:02:03', 3_723_000],
    ['00:00:00.5', 500],
    ['00:00:01.250', 1_250],
    ['00:00:00.1234567', 123],
    ['1.02:03:04', 93_784_000],
    ['1:02:03:04', 93_784_000],
    ['10:30', 37_800_000],
    ['2', 172_800_000],
    ['-00:00:01', -1_000],
    ['  00:00:02  ', 2_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseTimeSpan(text)).toBe(ms);
  });

  it.each(['', 'abc', '24:00:00', '00:60:00', '00:00:60', '1.2.3', '00:00:00:00:00', '5s'])('rejects %j', (text) => {
    expect(() => parseTimeSpan(text)).toThrow(/not a TimeSpan/);
  });

  it('formats like .NET', () => {
    expect(formatTimeSpan(300_000)).toBe('00:05:00');
    expect(formatTimeSpan(93_784_500)).toBe('1.02:03:04.500');
  });
});
