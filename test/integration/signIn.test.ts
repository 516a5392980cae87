import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/http/contract/operations';
import { startApp, type AppUnderTest } from './support/app';
import { axeViolations, launchChromium } from './support/browser';
import { startEntraStandIn, type EntraStandIn } from './support/entraStandIn';
import { header, request, type HttpResponse } from './support/http';
import { makeImage, pushImage } from './support/images';
import { waitFor } from './support/wait';

/**
 * Entra ID sign-in through the whole service: the local host with ENTRA_* settings
 * pointing at a stand-in tenant (support/entraStandIn.ts, TLS with the test CA), Azurite
 * and the registry. Every read and write API refuses a call without a token of the
 * tenant for the app, webhooks keep their own secret, and the dashboard signs a person
 * in with the authorization code flow and PKCE in Chromium and reads with the token.
 */

const OUT = path.resolve(__dirname, '../../test-output');
const REPOSITORY = 'team/signed-in';
const APP_ROLE = 'Tracker.Read';

let idp: EntraStandIn;
let app: AppUnderTest;
let browser: Browser;
let registry: string;
let token: string;
let pushed: { digest: string };
let webhookStatus: number;
/** The first call the app verified a token for, made while the tenant's keys could not be fetched. */
let keysDown: { url: URL; res: HttpResponse };

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  idp = await startEntraStandIn();
  token = await idp.mint();
  app = await startApp({
    env: {
      ENTRA_TENANT_ID: idp.tenantId,
      ENTRA_CLIENT_ID: idp.clientId,
      ENTRA_AUTHORITY_HOST: idp.authorityHost,
      ENTRA_APP_ROLE: APP_ROLE,
      LAYER_ANALYSIS: 'false',
    },
    contractHeaders: async () => bearer(await idp.mint()),
  });
  registry = app.proxy.loginServer;
  // First, before anything has the app fetch the keys (they are kept once fetched).
  const url = new URL(`${app.host.url}/api/repositories?registry=${registry}`);
  idp.keysDown = true;
  try {
    keysDown = { url, res: await request(url, { headers: bearer(token) }) };
  } finally {
    idp.keysDown = false;
  }
  pushed = await pushImage(app.registry.url, REPOSITORY, makeImage({ layers: [32 * 1024] }), { tag: 'v1' });
  // The webhook carries the registry's secret, never an Entra token.
  webhookStatus = (await app.acrPush({ repository: REPOSITORY, digest: pushed.digest, tag: 'v1' })).status;
  browser = await launchChromium();
  fs.mkdirSync(OUT, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await idp?.stop();
});

/** The trend of the pushed image once it is recorded, read with the token. */
const recorded = (t: string) =>
  waitFor(
    async () => {
      const res = await app.get('/api/trend', { registry, repository: REPOSITORY }, bearer(t));
      return res.status === 200 && res.json.points.length === 1 ? res : undefined;
    },
    { timeoutMs: 30_000, message: 'the push in the trend' },
  );

describe('the APIs with Entra sign-in on', () => {
  it('answers 503 naming the tenant while its keys cannot be fetched, and lets the same token in once they can', async () => {
    const down = keysDown.res;
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body.toString('utf8'))).toMatchObject({
      reason: 'signIn',
      error: expect.stringContaining(`signing keys of tenant ${idp.tenantId}`),
    });
    expect(header(down, 'retry-after')).toBe('5');
    await app.checkAnswer('GET', keysDown.url, down);
    expect((await app.get('/api/repositories', { registry }, bearer(token))).status).toBe(200);
  });

  it('refuses every read and write operation without a token: 401, WWW-Authenticate Bearer, reason missing, before the query is even read', async () => {
    const guarded = OPERATIONS.filter((op) => op.access === 'read' || op.access === 'write');
    expect(guarded.length).toBeGreaterThan(10);
    for (const op of guarded) {
      const url = new URL(`${app.host.url}/api/${op.route}`);
      const res = await request(url, { method: op.method, ...(op.method === 'GET' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) });
      await app.checkAnswer(op.method, url, res);
      expect(res.status, `${op.method} /api/${op.route}`).toBe(401);
      expect(JSON.parse(res.body.toString('utf8')), `${op.method} /api/${op.route}`).toMatchObject({ signIn: 'entra', reason: 'missing' });
      expect(header(res, 'www-authenticate')).toBe(
        `Bearer realm="acr-size-tracker", authorization_uri="${idp.authorityHost}/${idp.tenantId}/oauth2/v2.0/authorize"`,
      );
    }
  });

  it('says why a token is refused, in the body and in WWW-Authenticate', async () => {
    const cases: [string, Promise<string>, string][] = [
      ['expired', idp.mint({}, { expiresIn: -3600 }), 'expired'],
      ['another app', idp.mint({ aud: 'api://another-app' }), 'audience'],
      ['another tenant', idp.mint({ tid: '00000000-0000-0000-0000-000000000001' }), 'tenant'],
      ['without the scope', idp.mint({ scp: 'User.Read' }), 'scope'],
      ['an app without the role', idp.mint({ scp: undefined, roles: ['Other'] }), 'role'],
      ['a v1.0 token', idp.mint({ iss: `https://sts.windows.net/${idp.tenantId}/` }), 'issuer'],
      ['signed by another key', idp.mint({}, { foreignKey: true }), 'signature'],
    ];
    for (const [what, minted, reason] of cases) {
      const res = await app.get('/api/repositories', { registry }, bearer(await minted));
      expect([what, res.status, res.json.reason]).toEqual([what, 401, reason]);
      expect(header(res, 'www-authenticate'), what).toMatch(
        /^Bearer realm="acr-size-tracker", authorization_uri="[^"]+", error="invalid_token", error_description="[^"]+"$/,
      );
    }
  });

  it("lets in a person's token and an app-only token with the role, and webhooks need no token: a push is recorded and read back signed in", async () => {
    expect(webhookStatus).toBe(202);
    const appToken = await idp.mint({ scp: undefined, roles: [APP_ROLE], azp: 'ci-pipeline' });
    for (const t of [token, appToken]) {
      const trend = await waitFor(
        async () => {
          const res = await app.get('/api/trend', { registry, repository: REPOSITORY }, bearer(t));
          return res.status === 200 && res.json.points.length === 1 ? res : undefined;
        },
        { timeoutMs: 30_000, message: 'the push in the trend' },
      );
      expect(trend.json.points[0].digest).toBe(pushed.digest);
    }
    // A write names who made it in the log.
    const policyUrl = new URL(`${app.host.url}/api/policy?registry=${registry}&repository=team/*`);
    const saved = await request(policyUrl, {
      method: 'PUT',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ growthPercent: 5 }),
    });
    await app.checkAnswer('PUT', policyUrl, saved);
    expect(saved.status).toBe(201);
    await app.host.waitForLog(new RegExp(`PUT /api/policy by user ${idp.user.preferred_username} \\(${idp.user.oid}\\)`));
    const doc = await app.get('/api/openapi.json', {}, bearer(token));
    expect(doc.json.components.securitySchemes.entra.flows.authorizationCode).toEqual({
      authorizationUrl: `${idp.authorityHost}/${idp.tenantId}/oauth2/v2.0/authorize`,
      tokenUrl: `${idp.authorityHost}/${idp.tenantId}/oauth2/v2.0/token`,
      scopes: { [`api://${idp.clientId}/access_as_user`]: expect.any(String) },
    });
    // API_AUTH_LEVEL=function (its default): a function key and the token, both (the local host checks no key).
    const scope = [`api://${idp.clientId}/access_as_user`];
    expect(doc.json.paths['/trend'].get.security).toEqual([
      { functionKey: [], entra: scope },
      { functionKeyQuery: [], entra: scope },
    ]);
  });

  it('serves the dashboard page without a token, carrying the sign-in settings and allowing the token endpoint in its CSP', async () => {
    const res = await request(new URL(`${app.host.url}/api/ui?view=registry&registry=${registry}`));
    expect(res.status).toBe(200);
    const settings = JSON.stringify({
      authority: `${idp.authorityHost}/${idp.tenantId}`,
      clientId: idp.clientId,
      scope: `api://${idp.clientId}/access_as_user`,
    });
    expect(res.body.toString('utf8')).toContain(`<meta name="acr-size-tracker-sign-in" content="${settings.replace(/"/g, '&quot;')}">`);
    expect(header(res, 'content-security-policy')).toContain(`connect-src 'self' ${idp.authorityHost};`);
  });
});

describe('the dashboard with Entra sign-in on (Chromium)', () => {
  interface Opened {
    page: Page;
    /** Console errors and uncaught exceptions; the browser's own line for an answer ≥ 400 is in `failed` instead. */
    errors: string[];
    /** Answers ≥ 400, as `status path`. */
    failed: string[];
    /** Every request to the read APIs, with the Authorization header it carried. */
    apiCalls: { path: string; authorization?: string }[];
  }

  async function open(query: Record<string, string>, page: Page): Promise<Opened> {
    const errors: string[] = [];
    const apiCalls: Opened['apiCalls'] = [];
    const failed: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of/.test(m.text())) errors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r: Request) => {
      const url = new URL(r.url());
      if (url.origin === app.host.url && url.pathname.startsWith('/api/') && url.pathname !== '/api/ui') {
        apiCalls.push({ path: url.pathname, authorization: r.headers().authorization });
      }
    });
    await page.goto(`${app.host.url}/api/ui?${new URLSearchParams(query).toString()}`);
    return { page, errors, failed, apiCalls };
  }

  it('asks to sign in, signs in through the tenant with PKCE, comes back to the same link and reads with the token, refreshes it, and signs out', async () => {
    await recorded(token);
    // The stand-in tenant's certificate is from the test CA, which Chromium's own store does not hold.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const opened = await open({ view: 'repository', registry, repository: REPOSITORY }, await context.newPage());
    const { page } = opened;
    const dialog = page.getByRole('dialog', { name: 'Sign in' });
    await dialog.waitFor();
    // Nothing was asked of the APIs before signing in: the page knew it had no token.
    expect(opened.apiCalls, JSON.stringify(opened.apiCalls)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUT, 'dashboard-sign-in-1280.png') });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.screenshot({ path: path.join(OUT, 'dashboard-sign-in-375.png') });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Tokens that expire within the page's margin: the next read refreshes instead of signing in again.
    idp.tokenLifetimeSeconds = 30;
    const before = idp.requests.length;
    await dialog.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await page.waitForURL((u) => u.searchParams.get('view') === 'repository' && !u.searchParams.has('code'), { timeout: 20_000 });
    await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
    const flow = idp.requests.slice(before);
    const authorize = flow.find((r) => r.path.includes('/oauth2/v2.0/authorize'))!;
    const redeemed = flow.find((r) => r.form?.grant_type === 'authorization_code')!;
    const authorizeQuery = new URL(authorize.path, idp.authorityHost).searchParams;
    expect(Object.fromEntries([...authorizeQuery].filter(([k]) => !['state', 'code_challenge'].includes(k)))).toEqual({
      client_id: idp.clientId,
      response_type: 'code',
      redirect_uri: `${app.host.url}/api/ui`,
      response_mode: 'query',
      scope: `api://${idp.clientId}/access_as_user openid profile offline_access`,
      code_challenge_method: 'S256',
    });
    // The stand-in answered 200 only for the verifier of that challenge (S256).
    expect(redeemed.status).toBe(200);
    expect(redeemed.form!.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Signed in: the repository's chart reads with the token, and the header names the person.
    await page.getByText('team/signed-in').first().waitFor();
    await expect.poll(() => opened.apiCalls.length).toBeGreaterThan(0);
    expect(opened.apiCalls.every((c) => c.authorization?.startsWith('Bearer '))).toBe(true);
    expect(await page.locator('header .signed-in').innerText()).toContain(idp.user.preferred_username);
    expect(opened.errors).toEqual([]);
    expect(opened.failed).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUT, 'dashboard-signed-in-1280.png') });

    // A reload reads with the refreshed token: no new visit to authorize.
    const beforeReload = idp.requests.length;
    idp.tokenLifetimeSeconds = 3600;
    await page.reload();
    await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
    const again = idp.requests.slice(beforeReload);
    expect(again.some((r) => r.path.includes('/authorize'))).toBe(false);
    expect(again.filter((r) => r.form?.grant_type === 'refresh_token').map((r) => r.status)).toEqual([200]);

    // The reference is a page of its own: it reads the document with the same tab's token, without signing in again.
    const callsBefore = opened.apiCalls.length;
    await page.goto(`${app.host.url}/api/ui?view=reference`);
    await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
    expect(opened.apiCalls.slice(callsBefore)).toEqual([{ path: '/api/openapi.json', authorization: expect.stringMatching(/^Bearer /) }]);
    expect(await page.locator('#redoc').innerText()).toMatch(/trend/i);
    expect(await page.getByRole('dialog', { name: 'Sign in' }).count()).toBe(0);
    await page.goBack();
    await page.waitForSelector('body[data-ready]', { timeout: 20_000 });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('dialog', { name: 'Sign in' }).waitFor();
    await context.close();
  }, 60_000);

  it('shows what the tenant said when sign-in is refused, with a way to try again', async () => {
    // The stand-in tenant's certificate is from the test CA, which Chromium's own store does not hold.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    idp.refuseNext = { error: 'access_denied', description: 'AADSTS50105: the signed in user is not assigned to a role for the application' };
    const { page, errors } = await open({ view: 'registry', registry }, await context.newPage());
    await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await page.waitForSelector('body[data-view="sign-in"][data-ready]', { timeout: 20_000 });
    expect(await page.locator('main').innerText()).toContain('AADSTS50105: the signed in user is not assigned to a role for the application');
    await page.getByRole('button', { name: 'Sign in again' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says why sign-in cannot start on a page without the Web Crypto API (not https), and lets the person try again', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // What a browser gives a page over plain http from another host: no crypto.subtle.
    await context.addInitScript(() => Object.defineProperty(window.crypto, 'subtle', { get: () => undefined }));
    const before = idp.requests.length;
    const { page, errors } = await open({ view: 'registry', registry }, await context.newPage());
    const dialog = page.getByRole('dialog', { name: 'Sign in' });
    await dialog.getByRole('button', { name: 'Sign in with Microsoft' }).click();
    await expect.poll(() => dialog.getByRole('alert').innerText()).toContain('not served over https');
    expect(await dialog.getByRole('button', { name: 'Sign in with Microsoft' }).isEnabled()).toBe(true);
    expect(idp.requests.slice(before)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
