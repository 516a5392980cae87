import { z } from 'zod';
import { EffectivePolicySchema, PolicyDefaultsSchema, PolicySchema } from '../../core/policy';
import { registryParam, repositoryPatternParam } from '../params';
import { BadRequestSchema, ErrorSchema, TooLargeSchema } from './errors';
import type { Operation } from './operation';
import { component, described } from './registry';

export const PolicyQuery = z.object({
  registry: registryParam,
  repository: described(
    repositoryPatternParam.optional(),
    'A repository name or glob (`team-a/*` within one path segment, `team-a/**` across). Required by PUT and DELETE.',
  ),
});

/** Bodies of a policy write: the same document the store keeps. */
export const POLICY_BODY_LIMIT_BYTES = 64 * 1024;

/** A policy as answered: its `teamsRoute` shows where it points without its query and credentials (the query is the flow's signature). */
export const PolicyViewSchema = component(
  'Policy',
  PolicySchema.extend({ teamsRoute: z.string().optional() }),
  'A stored policy: only what it sets; everything absent falls back to the defaults. `teamsRoute` is shown redacted (`https://…/invoke?[redacted]`).',
);

export const StoredPolicyViewSchema = component(
  'StoredPolicy',
  z.object({ pattern: z.string(), policy: PolicyViewSchema, updatedAt: z.string() }),
  'A policy with the pattern it is stored under and when it was last written.',
);

export const PolicyDescriptionSchema = component(
  'PolicyDescription',
  z.object({
    registry: z.string(),
    pattern: z.string(),
    policy: PolicyViewSchema.nullable(),
    updatedAt: z.string().nullable(),
    /** For a repository name (not a glob): the defaults merged with the policy that matches it. */
    effective: EffectivePolicySchema.optional(),
  }),
  'The policy stored under a repository name or glob (null when none is), and for a name the effective policy with `matchedPattern`.',
);

export const PolicyListSchema = component(
  'PolicyList',
  z.object({ registry: z.string(), defaults: PolicyDefaultsSchema, policies: z.array(StoredPolicyViewSchema) }),
  "A registry's stored policies, and the defaults they override.",
);

export const PolicyAnswerSchema = z.union([PolicyDescriptionSchema, PolicyListSchema]);
export type PolicyAnswer = z.infer<typeof PolicyAnswerSchema>;

export const PolicySavedSchema = component('PolicySaved', StoredPolicyViewSchema.extend({ registry: z.string() }), 'The policy as stored.');
export type PolicySaved = z.infer<typeof PolicySavedSchema>;

export const PolicyRefusedSchema = component(
  'PolicyRefused',
  z.object({ error: z.string(), problems: z.array(z.object({ field: z.string(), message: z.string() })) }).loose(),
  'A policy document refused: `problems` names each field (`(body)` for the document itself); nothing was stored.',
);
export type PolicyRefused = z.infer<typeof PolicyRefusedSchema>;

const policyReads: Pick<Operation, 'functionName' | 'route' | 'tag' | 'query'> = { functionName: 'policy', route: 'policy', tag: 'Alerts', query: PolicyQuery };
const policyWrites: Pick<Operation, 'functionName' | 'route' | 'tag' | 'query'> = { ...policyReads, functionName: 'policyWrite' };

export const policyOperations: Operation[] = [
  {
    ...policyReads,
    operationId: 'getPolicy',
    method: 'GET',
    access: 'read',
    summary: "A repository's alert policy, or a registry's policies",
    description:
      'With a repository name: the stored policy and the effective one; with a glob: the stored policy; without `repository`: every policy and the defaults.',
    answers: { 200: { description: 'The policy, or the list.', body: PolicyAnswerSchema } },
  },
  {
    ...policyWrites,
    operationId: 'putPolicy',
    method: 'PUT',
    access: 'write',
    summary: "Stores a repository's (or a glob's) alert policy",
    body: {
      description: `The policy: any of its fields; unknown fields are refused. At most ${POLICY_BODY_LIMIT_BYTES} bytes.`,
      required: true,
      content: { 'application/json': PolicySchema },
    },
    answers: {
      200: { description: 'An existing policy was replaced.', body: PolicySavedSchema },
      201: { description: 'The policy was created.', body: PolicySavedSchema },
      400: {
        description: 'A parameter does not validate, `repository` is missing, or the body is not a valid policy (`problems` names each field).',
        body: z.union([PolicyRefusedSchema, BadRequestSchema]),
      },
      413: { description: `The body is over ${POLICY_BODY_LIMIT_BYTES} bytes.`, body: TooLargeSchema },
    },
  },
  {
    ...policyWrites,
    operationId: 'deletePolicy',
    method: 'DELETE',
    access: 'write',
    summary: "Removes a repository's (or a glob's) alert policy",
    answers: {
      204: { description: 'The policy was removed.' },
      400: { description: 'A parameter does not validate, or `repository` is missing.', body: BadRequestSchema },
      404: { description: 'There was no such policy.', body: ErrorSchema },
    },
  },
];
