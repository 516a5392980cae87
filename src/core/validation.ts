import { z } from 'zod';

/** One thing wrong with a value, at its dotted path ('' for the value itself). */
export interface Issue {
  path: string;
  message: string;
}

/** zod's issues as dotted paths; `drop` removes wrapper segments a caller's names do not have. */
export function issuesOf(error: z.ZodError, drop: readonly PropertyKey[] = []): Issue[] {
  return error.issues.map((i) => ({
    path: i.path
      .filter((p) => !drop.includes(p))
      .map(String)
      .join('.'),
    message: explained(i),
  }));
}

/**
 * zod says only "Invalid input" of a value that matches no option of a plain union: say
 * what each option found wrong instead, so the refusal can be acted on.
 */
function explained(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue.message;
  const options = issue.errors.map((issues) => issues.map((i) => `${i.path.map(String).join('.') || '(value)'}: ${explained(i)}`).join(', '));
  return `matches none of its forms: ${options.map((o) => `(${o})`).join(' or ')}`;
}

/**
 * The one line every log, poison record and 4xx uses to say why a value was refused:
 * `path: message; path: message`, the value itself named `root`, at most `limit` issues
 * so a hostile document cannot make the line unbounded.
 */
export function describeIssues(error: z.ZodError, { root = '(root)', limit = 5 }: { root?: string; limit?: number } = {}): string {
  const issues = issuesOf(error);
  const shown = issues.slice(0, limit).map((i) => `${i.path || root}: ${i.message}`);
  if (issues.length > limit) shown.push(`and ${issues.length - limit} more`);
  return shown.join('; ');
}

/** `"a", "b" or "c"`: how a refusal lists the accepted values. */
export function listOf(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : (quoted[0] ?? '');
}

/** A closed set of strings whose refusal names them all, the same way in settings, queries and bodies. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be ${listOf(values)}` });
}

/**
 * A number written as text (a setting, a query parameter), absent or empty meaning `def`;
 * out of range or not a number is refused with the range it must be in.
 */
export function numberText(def: number, { min, max = Number.MAX_SAFE_INTEGER, integer = true }: { min: number; max?: number; integer?: boolean }) {
  const rule = integer ? `an integer from ${min} to ${max}` : max === Number.MAX_SAFE_INTEGER ? `a number ≥ ${min}` : `a number from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!(integer ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be ${rule}, got "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` });
        return z.NEVER;
      }
      return n;
    });
}
