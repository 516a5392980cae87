import type { HttpRequest } from '@azure/functions';
import { issuesOf } from '../core/validation';
import type { z } from 'zod';
import type { BadRequest, DetailsOf } from './contract/errors';
import { HttpProblem, problem } from './responses';

/** Validates query parameters against a schema; a failure names each bad parameter. */
export function parseQuery<S extends z.ZodType>(request: HttpRequest, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of request.query.entries()) raw[k] = v;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = issuesOf(parsed.error).map((i) => ({ parameter: i.path.split('.')[0]!, message: i.message }));
  throw new HttpProblem(
    problem(400, problems.map((p) => (p.parameter ? `${p.parameter}: ${p.message}` : p.message)).join('; '), { problems } satisfies DetailsOf<BadRequest>),
  );
}
