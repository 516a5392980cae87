import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, issuesOf, listOf, numberText, oneOf } from '../../src/core/validation';

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

describe('validation helpers', () => {
  const Doc = z.object({ name: z.string(), targets: z.object({ aci: z.object({ mbps: z.number() }) }) });
  const error = Doc.safeParse({ name: 1, targets: { aci: { mbps: 'x' } } }).error!;

  it('names each issue by its dotted path, the value itself by root, at most limit of them', () => {
    expect(issuesOf(error).map((i) => i.path)).toEqual(['name', 'targets.aci.mbps']);
    expect(issuesOf(error, ['targets']).map((i) => i.path)).toEqual(['name', 'aci.mbps']);
    expect(describeIssues(error, { limit: 1 })).toMatch(/^name: .+; and 1 more$/);
    expect(describeIssues(z.string().safeParse(5).error!, { root: '(body)' })).toMatch(/^\(body\): /);
  });

  it('refuses a value outside a closed set naming every accepted one', () => {
    expect(listOf(['a'])).toBe('"a"');
    expect(listOf(['a', 'b', 'c'])).toBe('"a", "b" or "c"');
    const r = oneOf(['Basic', 'Standard']).safeParse('Gold');
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toBe('must be "Basic" or "Standard"');
  });

  it('reads numbers from text: empty is the default, out of range or fractional integers are refused with the range', () => {
    const limit = numberText(100, { min: 1, max: 1000 });
    expect(limit.parse(undefined)).toBe(100);
    expect(limit.parse(' ')).toBe(100);
    expect(limit.parse(' 7 ')).toBe(7);
    for (const bad of ['0', '1001', '2.5', 'ten', 'Infinity'])
      expect(limit.safeParse(bad).error?.issues[0]?.message).toMatch(/^must be an integer from 1 to 1000, got /);
    const percent = numberText(10, { min: 0, integer: false });
    expect(percent.parse('2.5')).toBe(2.5);
    expect(percent.safeParse('-1').error?.issues[0]?.message).toBe('must be a number ≥ 0, got "-1"');
    // A hostile value is echoed only in part.
    expect(limit.safeParse('9'.repeat(500)).error?.issues[0]?.message.length).toBeLessThan(120);
  });
});
