import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues } from '../../src/core/validation';

describe('describeIssues', () => {
  it('names each issue by its path, the value itself by its root name, up to the limit', () => {
    const schema = z.object({ a: z.string(), b: z.object({ c: z.number() }) });
    const error = schema.safeParse({ a: 1, b: { c: 'x' } }).error!;
    expect(describeIssues(error)).toBe('a: Invalid input: expected string, received number; b.c: Invalid input: expected number, received string');
    expect(describeIssues(error, { limit: 1 })).toBe('a: Invalid input: expected string, received number; and 1 more');
    expect(describeIssues(z.string().safeParse(1).error!, { root: '(message)' })).toBe('(message): Invalid input: expected string, received number');
  });

  it('says what each option of a union found wrong, rather than only that the value matched none', () => {
    const schema = z.object({ entry: z.union([z.object({ error: z.string() }), z.object({ size: z.number() })]) });
    expect(describeIssues(schema.safeParse({ entry: { size: 'big' } }).error!)).toBe(
      'entry: matches none of its forms: (error: Invalid input: expected string, received undefined) or (size: Invalid input: expected number, received string)',
    );
  });
});
