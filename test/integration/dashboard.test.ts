import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, formatDeltaBytes, formatSeconds, formatStep } from '../../src/core/format';
import { startApp, type AppUnderTest } from './support/app';
import { axeViolations, launchChromium } from './support/browser';
import { DASHBOARD_ENV, MULTI, SINGLE, seedDashboard, type Seeded } from './support/dashboardData';
import { request } from './support/http';

/**
 * The dashboard in headless Chromium against the local host, on images pushed through
 * the real registry: every page loads without a console error or a failed request it
 * did not design for, passes axe-core without serious or critical violations, and is
 * photographed at desktop and phone width (test-output/dashboard-<view>-<width>.png).
 */

const OUT = path.resolve(__dirname, '../../test-output');
const WIDTHS = [1280, 375] as const;

let app: AppUnderTest;
let seeded: Seeded;
let browser: Browser;

beforeAll(async () => {
  app = await startApp({ env: DASHBOARD_ENV });
  seeded = await seedDashboard(app);
  browser = await launchChromium();
  fs.mkdirSync(OUT, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

interface Opened {
  page: Page;
  /** Console errors and uncaught exceptions; the browser's own line for an answer ≥ 400 is in `failed` instead. */
  errors: string[];
  /** API answers ≥ 400, as `status path`. */
  failed: string[];
}

async function open(query: Record<string, string>, width = 1280): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  const failed: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  await page.goto(`${app.host.url}/api/ui?${new URLSearchParams(query).toString()}`);
  await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
  return { page, errors, failed };
}

/** Scrolls through the page so what loads on sight loads, and waits for the requests to settle. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += 600) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 30));
    }
    window.scrollTo(0, 0);
  });
  await page.waitForLoadState('networkidle');
}

/**
 * Opens the view at each width: no console error, only the failed answers the page is
 * designed to meet, axe clean at desktop width; a full-page screenshot of each (the
 * reference page, tens of thousands of pixels long, of its first screen).
 */
async function visit(view: string, query: Record<string, string>, opts: { expectFailed?: string[]; fullPage?: boolean } = {}): Promise<Opened> {
  let first: Opened | undefined;
  for (const width of WIDTHS) {
    const opened = await open(query, width);
    await settle(opened.page);
    expect(opened.errors, `console errors on ${view} at ${width} px`).toEqual([]);
    expect([...new Set(opened.failed)], `failed requests on ${view} at ${width} px`).toEqual(opts.expectFailed ?? []);
    if (width === 1280) expect(await axeViolations(opened.page), `axe on ${view}`).toEqual([]);
    await opened.page.screenshot({ path: path.join(OUT, `dashboard-${view}-${width}.png`), fullPage: opts.fullPage ?? true });
    if (first) await opened.page.close();
    else first = opened;
  }
  return first!;
}

const base = () => ({ registry: seeded.registry });

describe('dashboard', () => {
  it('serves the page anonymously with a strict CSP, revalidation headers and a 304 for its ETag', async () => {
    const res = await request(`${app.host.url}/api/ui?view=registry&registry=${seeded.registry}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/https?:|unsafe-inline|unsafe-eval/);
    const again = await request(`${app.host.url}/api/ui?view=alerts&registry=x`, { headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.status).toBe(304);
  });

  it('registry: storage, the repositories with their sizes and sparklines, the latest alerts', async () => {
    const { page } = await visit('registry', { view: 'registry', ...base() });
    const rows = page.locator('#repositories tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const api = (await app.get('/api/repositories', base())).json.repositories as { repository: string; latest: { sizeBytes: number } }[];
    for (const r of api) await expect.poll(() => page.locator('#repositories').innerText()).toContain(formatBytes(r.latest.sizeBytes));
    expect(await page.locator('#repositories svg.sparkline').count()).toBe(2);
    expect(await page.locator('#storage').innerText()).toContain(formatBytes((await app.get('/api/storage', { ...base(), days: 30 })).json.uniqueBytes));
    expect(await page.locator('#latest-alerts').innerText()).toContain('regression');
    // Sizes sort largest first, then the other way.
    const size = page.getByRole('button', { name: 'Size', exact: true });
    await size.click();
    expect(await rows.first().innerText()).toContain(`${MULTI}\t`);
    await size.click();
    expect(await rows.first().innerText()).toContain(SINGLE);
    await page.close();
  });

  it('repository: the chart draws exactly the points /api/trend returns, and a point shows its tag and size on hover and on focus', async () => {
    const trend = (await app.get('/api/trend', { ...base(), repository: MULTI })).json.points as { tag: string; sizeBytes: number; platform: string }[];
    const { page } = await visit('repository', { view: 'repository', ...base(), repository: MULTI });
    await page.waitForSelector('[data-chart=size][data-drawn]');
    const chart = page.locator('[data-chart=size]');
    expect(Number(await chart.getAttribute('data-points'))).toBe(trend.length);

    // The newest push sits at the right edge of the plot.
    const over = await chart.locator('.u-over').boundingBox();
    await page.mouse.move(over!.x + over!.width - 1, over!.y + over!.height / 2);
    const tooltip = chart.locator('.chart-tooltip');
    const newest = trend.at(-1)!;
    await expect.poll(() => tooltip.innerText()).toContain(newest.tag);
    expect(await tooltip.innerText()).toContain(formatBytes(newest.sizeBytes));
    await expect.poll(() => tooltip.locator('[data-tooltip=step]').first().innerText()).toMatch(/grew most|no step grew/);

    // The keyboard reaches every point: Home is the first push.
    await page.mouse.move(0, 0);
    await chart.focus();
    await page.keyboard.press('Home');
    await expect.poll(() => tooltip.innerText()).toContain(trend[0]!.tag);
    expect(await tooltip.innerText()).toContain(formatBytes(trend[0]!.sizeBytes));

    // A tag filter draws what /api/trend answers for that tag.
    const tagged = (await app.get('/api/trend', { ...base(), repository: MULTI, tag: '1.3.0' })).json.points;
    await page.fill('#tag-filter', '1.3.0');
    await expect.poll(async () => Number(await page.locator('[data-chart=size]').getAttribute('data-points'))).toBe(tagged.length);
    expect(page.url()).toContain('tag=1.3.0');
    await page.close();
  });

  it('image: layers with their steps and the base boundary, estimates, findings and the file tree', async () => {
    const { page } = await visit('image', { view: 'image', ...base(), repository: MULTI, digest: seeded.indexes.at(-1)!, platform: 'linux/amd64' });
    const text = await page.locator('main').innerText();
    expect(text).toContain(formatStep('RUN /bin/sh -c npm ci --omit=dev # buildkit'));
    expect(text).toContain('The first layer comes from the base image');
    expect(text).toContain('gcc and its support files');
    expect(await page.locator('tr.base-boundary').count()).toBe(1);
    const est = (await app.get('/api/estimate', { ...base(), repository: MULTI, digest: seeded.indexes.at(-1)!, platform: 'linux/amd64' })).json;
    expect(await page.locator('[data-figure="aci.coldStart"]').innerText()).toBe(formatSeconds(est.pull.aci.coldStartSeconds));
    await page.getByRole('button', { name: 'usr/' }).click();
    await expect.poll(() => page.locator('.file-tree').innerText()).toContain('lib/');
    await page.close();
  });

  it('compare: each step before and after with the deltas /api/compare gives', async () => {
    const query = { ...base(), repository: MULTI, from: seeded.indexes[2]!, to: seeded.indexes[3]!, platform: 'linux/amd64' };
    const compared = (await app.get('/api/compare', query)).json;
    const { page } = await visit('compare', { view: 'compare', ...query });
    const rows = page.locator('.diverging .step-row');
    expect(await rows.count()).toBe(compared.steps.length);
    for (const [i, s] of (compared.steps as { step: string; deltaBytes: number; change: string }[]).entries()) {
      const row = await rows.nth(i).innerText();
      expect(row).toContain(formatStep(s.step));
      expect(row).toContain(s.change === 'unchanged' ? 'unchanged' : formatDeltaBytes(s.deltaBytes));
    }
    expect(await page.locator('main').innerText()).toContain(formatDeltaBytes(compared.sizeDeltaBytes));
    await page.close();
  });

  it('finds a platform manifest pushed only inside its index by its own digest, as points, baselines and alerts name it', async () => {
    const registry = app.proxy.loginServer;
    const points = (await app.get('/api/trend', { registry, repository: MULTI, platform: 'linux/arm64' })).json.points as {
      digest: string;
      indexDigest: string;
      baselineDigest?: string;
    }[];
    const last = points.at(-1)!;
    expect(last.indexDigest).toBeDefined();
    // Each image of the index is known by its own digest only through the index: no record of its own.
    expect((await app.get('/api/image', { registry, repository: MULTI, digest: last.digest })).status).toBe(404);
    const compared = await app.get('/api/compare', { registry, repository: MULTI, from: last.baselineDigest!, to: last.digest });
    expect(compared.status, JSON.stringify(compared.json)).toBe(200);
    expect(compared.json).toMatchObject({ from: { digest: last.baselineDigest }, to: { digest: last.digest } });
    const estimate = await app.get('/api/estimate', { registry, repository: MULTI, digest: last.digest });
    expect(estimate.status, JSON.stringify(estimate.json)).toBe(200);
    expect(estimate.json.baselineDigest).toBe(last.baselineDigest);
  });

  it('alerts: the history with state, rules and errors, each linking to its compare page', async () => {
    const { page } = await visit('alerts', { view: 'alerts', ...base() });
    const text = await page.locator('main').innerText();
    expect(text).toContain('failed');
    expect(text).toContain('no Teams route');
    await expect.poll(() => page.locator('a[data-link=compare]').count()).toBeGreaterThan(0);
    await page.locator('a[data-link=compare]').first().click();
    await page.waitForSelector('body[data-ready]');
    await expect.poll(() => page.locator('.diverging .step-row').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('what-if: a changed parameter updates the figures', async () => {
    const query = { ...base(), repository: MULTI, digest: seeded.indexes.at(-1)!, platform: 'linux/amd64' };
    const { page } = await visit('whatif', { view: 'whatif', ...query });
    const figure = page.locator('[data-figure="aci.coldStart"]').first();
    const configured = await figure.innerText();
    const revision = Number(await page.locator('#figures .part-body').getAttribute('data-revision'));
    await page.fill('#wi-aci-throughputMBps', '1');
    await expect.poll(async () => Number(await page.locator('#figures .part-body').getAttribute('data-revision'))).toBeGreaterThan(revision);
    const expected = (await app.get('/api/estimate', { ...query, 'aci.throughputMBps': 1 })).json.pull.aci.coldStartSeconds;
    expect(await figure.innerText()).toBe(formatSeconds(expected));
    expect(await figure.innerText()).not.toBe(configured);
    expect(page.url()).toContain('aci.throughputMBps=1');
    await page.close();
  });

  it('an unknown repository and a registry with nothing recorded show their designed empty states', async () => {
    const unknown = await visit('unknown', { view: 'repository', ...base(), repository: 'no/such' }, { expectFailed: ['404 /api/trend'] });
    expect(await unknown.page.locator('[data-state=unknown-repository]').innerText()).toContain('no/such is not tracked');
    await unknown.page.close();
    const empty = await visit('empty', { view: 'registry', registry: 'new.azurecr.io' }, { expectFailed: ['404 /api/storage'] });
    expect(await empty.page.locator('[data-state=new-installation]').innerText()).toContain('az acr webhook create -r new');
    await empty.page.close();
  });

  it('the API reference renders /api/openapi.json, or says it is not served', async () => {
    const served = (await app.get('/api/openapi.json')).status === 200;
    const { page } = await visit('reference', { view: 'reference' }, { expectFailed: served ? [] : ['404 /api/openapi.json'], fullPage: false });
    if (served) {
      expect(await page.locator('#redoc').innerText()).toMatch(/trend/i);
      // A tag opened in the sidebar shows its operations inside its menu item: still axe clean (Redoc's own labels were not).
      const tag = page.locator('li[data-item-id="tag/Service"]');
      await tag.locator('label').first().click();
      await expect.poll(() => tag.getAttribute('aria-expanded')).toBe('true');
      expect(await axeViolations(page)).toEqual([]);
    } else expect(await page.locator('main').innerText()).toContain('The OpenAPI document is not served yet');
    await page.close();
  }, 60_000);

  it('asks once for a function key when an API answers 401, keeps it for the session and sends it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen: (string | undefined)[] = [];
    // The local host never checks keys; this stands in for API_AUTH_LEVEL=function in Azure.
    await page.route(
      (u) => u.pathname.startsWith('/api/') && u.pathname !== '/api/ui',
      async (route) => {
        const key = route.request().headers()['x-functions-key'];
        seen.push(key);
        if (key !== 'the-key') await route.fulfill({ status: 401, body: '' });
        else await route.continue();
      },
    );
    await page.goto(`${app.host.url}/api/ui?${new URLSearchParams({ view: 'registry', ...base() }).toString()}`);
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Function key').waitFor();
    // Several requests met the 401 at once; one dialog asks for all of them.
    expect(await dialog.count()).toBe(1);
    await dialog.getByLabel('Function key').fill('the-key');
    await dialog.getByRole('button', { name: 'Use this key' }).click();
    await page.waitForSelector('body[data-ready]');
    await expect.poll(() => page.locator('#repositories tbody tr').count()).toBe(2);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('acr-size-tracker.functionKey'))).toBe('the-key');
    // Every request after the key was given carried it.
    const firstWithKey = seen.indexOf('the-key');
    expect(firstWithKey).toBeGreaterThan(-1);
    expect(seen.slice(firstWithKey).every((k) => k === 'the-key')).toBe(true);
    await page.close();
  });
});
