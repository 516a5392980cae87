import { app } from '@azure/functions';
import { z } from 'zod';
import { getConfig } from '../config';
import { MAX_POLICY_PATTERN_LENGTH, POLICY_PATTERN } from '../core/policy';
import { readJsonBody } from '../http/body';
import { handle } from '../http/handler';
import { registryParam } from '../http/params';
import { parseQuery } from '../http/query';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { describePolicy, listPolicies, removePolicy, savePolicy } from '../services/policies';

const PolicyQuery = z.object({
  registry: registryParam,
  repository: z
    .string()
    .max(MAX_POLICY_PATTERN_LENGTH, `must be at most ${MAX_POLICY_PATTERN_LENGTH} characters`)
    .regex(POLICY_PATTERN, 'is not a repository name or glob (team-a/*, team-a/**)')
    .optional(),
});

app.http('policy', {
  methods: ['GET'],
  route: 'policy',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(async (request) => {
    const runtime = getRuntime();
    const q = parseQuery(request, PolicyQuery);
    return json(200, q.repository ? await describePolicy(runtime.policyDeps, q.registry, q.repository) : await listPolicies(runtime.policyDeps, q.registry));
  }),
});

// Writes can mute a repository or send its alerts elsewhere: a function of their own, so
// they keep a key requirement (API_WRITE_AUTH_LEVEL) when the reads are opened up.
app.http('policyWrite', {
  methods: ['PUT', 'DELETE'],
  route: 'policy',
  authLevel: getConfig().API_WRITE_AUTH_LEVEL,
  handler: handle(async (request) => {
    const runtime = getRuntime();
    const q = parseQuery(request, PolicyQuery);
    if (!q.repository) return problem(400, 'repository: is required (a repository name or a glob such as team-a/*)');
    if (request.method === 'DELETE') {
      return (await removePolicy(runtime.policyDeps, q.registry, q.repository))
        ? { status: 204 }
        : problem(404, `no policy for ${q.repository} in ${q.registry}`);
    }
    const saved = await savePolicy(runtime.policyDeps, q.registry, q.repository, await readJsonBody(request, 64 * 1024));
    if (!saved.ok) return problem(400, saved.error, { problems: saved.problems });
    return json(saved.created ? 201 : 200, { registry: q.registry, ...saved.stored });
  }),
});
