import { app } from '@azure/functions';
import { getConfig } from '../config';
import { readJsonBody } from '../http/body';
import type { DetailsOf } from '../http/contract/errors';
import { POLICY_BODY_LIMIT_BYTES, PolicyQuery, type PolicyAnswer, type PolicyRefused, type PolicySaved } from '../http/contract/policy';
import { handle } from '../http/handler';
import { signedIn } from '../http/signIn';
import { parseQuery } from '../http/query';
import { json, problem } from '../http/responses';
import { getRuntime } from '../runtime';
import { describePolicy, listPolicies, removePolicy, savePolicy } from '../services/policies';

app.http('policy', {
  methods: ['GET'],
  route: 'policy',
  authLevel: getConfig().API_AUTH_LEVEL,
  handler: handle(
    signedIn(async (request) => {
      const runtime = getRuntime();
      const q = parseQuery(request, PolicyQuery);
      const answer: PolicyAnswer = q.repository
        ? await describePolicy(runtime.policyDeps, q.registry, q.repository)
        : await listPolicies(runtime.policyDeps, q.registry);
      return json(200, answer);
    }),
  ),
});

// Writes can mute a repository or send its alerts elsewhere: a function of their own, so
// they keep a key requirement (API_WRITE_AUTH_LEVEL) when the reads are opened up.
app.http('policyWrite', {
  methods: ['PUT', 'DELETE'],
  route: 'policy',
  authLevel: getConfig().API_WRITE_AUTH_LEVEL,
  handler: handle(
    signedIn(async (request) => {
      const runtime = getRuntime();
      const q = parseQuery(request, PolicyQuery);
      if (!q.repository) return problem(400, 'repository: is required (a repository name or a glob such as team-a/*)');
      if (request.method === 'DELETE') {
        return (await removePolicy(runtime.policyDeps, q.registry, q.repository))
          ? { status: 204 }
          : problem(404, `no policy for ${q.repository} in ${q.registry}`);
      }
      const saved = await savePolicy(runtime.policyDeps, q.registry, q.repository, await readJsonBody(request, POLICY_BODY_LIMIT_BYTES));
      if (!saved.ok) return problem(400, saved.error, { problems: saved.problems } satisfies DetailsOf<PolicyRefused>);
      return json(saved.created ? 201 : 200, { registry: q.registry, ...saved.stored } satisfies PolicySaved);
    }),
  ),
});
