import { describe, expect, it } from 'vitest';
import { escapeKey, joinKey, repositoryKey, splitKey, unescapeKey } from '../../src/core/keys';

describe('table keys', () => {
  it('escapes every character Table Storage forbids in keys, plus % and the separator', () => {
    const key = escapeKey('team/a\\b#c?d%e|f\u0001g\u007fh');
    expect(key).toBe('team%2Fa%5Cb%23c%3Fd%25e%7Cf%01g%7Fh');
    // eslint-disable-next-line no-control-regex -- Table Storage forbids control characters in keys
    expect(key).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
  });

  it('round-trips', () => {
    for (const s of ['library/nginx', 'a%2Fb', '%', 'x|y', 'ünïcode/ok', 'localhost:5443']) {
      expect(unescapeKey(escapeKey(s))).toBe(s);
    }
    expect(splitKey(joinKey('myregistry.azurecr.io', 'team-a/api|x'))).toEqual(['myregistry.azurecr.io', 'team-a/api|x']);
  });

  it('keeps repositories of different registries apart, and nested paths distinct', () => {
    expect(repositoryKey('r1.azurecr.io', 'a/b')).toBe('r1.azurecr.io|a%2Fb');
    expect(repositoryKey('r1', 'a|b')).not.toBe(repositoryKey('r1|a', 'b'));
  });

  it('refuses keys over the 1 KiB limit', () => {
    expect(() => joinKey('r', 'x'.repeat(1100))).toThrow(RangeError);
  });
});
