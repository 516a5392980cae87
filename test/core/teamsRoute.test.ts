import { describe, expect, it } from 'vitest';
import { routePrefixProblem, routeProblem, teamsHostAllowed, type RouteRules } from '../../src/core/teamsRoute';

const rules: RouteRules = { TEAMS_ALLOWED_HOSTS: ['*.logic.azure.com'], TEAMS_ALLOWED_ROUTE_PREFIXES: [] };
const flow = (id: string) => `https://prod-01.westeurope.logic.azure.com:443/workflows/${id}/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET`;

describe('Teams routes', () => {
  it('matches host wildcards on subdomains only', () => {
    expect(teamsHostAllowed('prod-01.westeurope.logic.azure.com', ['*.logic.azure.com'])).toBe(true);
    expect(teamsHostAllowed('logic.azure.com', ['*.logic.azure.com'])).toBe(false);
    expect(teamsHostAllowed('evillogic.azure.com', ['*.logic.azure.com'])).toBe(false);
  });

  it('refuses other hosts and credentials, and never quotes the signature', () => {
    expect(routeProblem(flow('a'), rules)).toBeUndefined();
    expect(routeProblem('https://evil.example.com/hook?sig=SECRET', rules)).toMatch(/host evil\.example\.com is not allowed/);
    const creds = routeProblem('https://user:pw@prod-01.westeurope.logic.azure.com/workflows/a?sig=SECRET', rules);
    expect(creds).toMatch(/must not contain credentials/);
    expect(creds).not.toContain('pw');
    expect(routeProblem('ftp://prod-01.westeurope.logic.azure.com/x', rules)).toMatch(/http\(s\)/);
  });

  it('allows the default webhook and its host', () => {
    const withDefault = { ...rules, TEAMS_WEBHOOK_URL: 'https://teams.example.net/hook?sig=1' };
    expect(routeProblem('https://teams.example.net/other', withDefault)).toBeUndefined();
    expect(
      routeProblem('https://teams.example.net/hook?sig=1', {
        ...withDefault,
        TEAMS_ALLOWED_ROUTE_PREFIXES: ['https://prod-01.westeurope.logic.azure.com/workflows/a'],
      }),
    ).toBeUndefined();
  });

  it('with prefixes, allows only the named workflows, at a path boundary', () => {
    const strict = { ...rules, TEAMS_ALLOWED_ROUTE_PREFIXES: ['https://prod-01.westeurope.logic.azure.com/workflows/abc'] };
    expect(routeProblem(flow('abc'), strict)).toBeUndefined();
    const other = routeProblem(flow('abcdef'), strict);
    expect(other).toMatch(/not under an allowed workflow prefix/);
    expect(other).not.toContain('SECRET');
    expect(routeProblem(flow('xyz'), strict)).toMatch(/TEAMS_ALLOWED_ROUTE_PREFIXES/);
  });

  it('explains unusable prefixes', () => {
    expect(routePrefixProblem('https://prod-01.westeurope.logic.azure.com/workflows/a')).toBeUndefined();
    expect(routePrefixProblem('https://prod-01.westeurope.logic.azure.com/')).toMatch(/must name a path/);
    expect(routePrefixProblem('https://x.logic.azure.com/w?sig=1')).toMatch(/query/);
    expect(routePrefixProblem('https://u:p@x.logic.azure.com/w')).toMatch(/credentials/);
    expect(routePrefixProblem('nope')).toMatch(/not a URL/);
  });
});
