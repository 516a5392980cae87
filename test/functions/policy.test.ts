/**
 * The policy API's registrations, as the Functions host receives them: reads and writes
 * are two functions on one route, writes under their own, stricter auth level.
 */
import { describe, expect, it } from 'vitest';
import { registeredFunctions } from '../support/functionRegistry';

// Reads opened to anonymous, as an operator might; writes must keep a key requirement.
const functions = registeredFunctions(() => import('../../src/functions/policy.js'), { API_AUTH_LEVEL: 'anonymous', API_WRITE_AUTH_LEVEL: 'admin' });

describe('policy API registrations', () => {
  it('registers reads under API_AUTH_LEVEL and writes under API_WRITE_AUTH_LEVEL, on the same route', () => {
    const byName = Object.fromEntries(functions.map((f) => [f.name, f.trigger]));
    expect(Object.keys(byName).sort()).toEqual(['policy', 'policyWrite']);
    expect(byName.policy).toMatchObject({ type: 'httpTrigger', route: 'policy', methods: ['GET'], authLevel: 'anonymous' });
    expect(byName.policyWrite).toMatchObject({ type: 'httpTrigger', route: 'policy', methods: ['PUT', 'DELETE'], authLevel: 'admin' });
  });
});
