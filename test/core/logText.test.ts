import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeForLog } from '../../src/core/logText';

describe('escapeForLog', () => {
  it('writes control and line-separator characters as escapes and doubles backslashes', () => {
    expect(escapeForLog('a\nb\r\tc\u0000d\u001b[2Je\u0085f\u2028g\\n')).toBe('a\\nb\\r\\tc\\u0000d\\u001b[2Je\\u0085f\\u2028g\\\\n');
    expect(escapeForLog('team/app:v1@sha256:abc')).toBe('team/app:v1@sha256:abc');
  });

  it('never leaves a character that could break a line, and is reversible', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = escapeForLog(s);
        // eslint-disable-next-line no-control-regex -- no control character may survive escaping
        expect(escaped).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        const back = escaped.replace(/\\(u[0-9a-f]{4}|n|r|t|\\)/g, (_, e: string) =>
          e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '\\' ? '\\' : String.fromCharCode(parseInt(e.slice(1), 16)),
        );
        expect(back).toBe(s);
      }),
      { seed: 12, numRuns: 500 },
    );
  });
});
