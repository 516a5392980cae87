import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView } from '../../src/core/alert';
import { alertMessage } from '../../src/core/card';
import { contentAlert, firstPushBudgetAlert, improvementAlert, pathologicalAlert, regressionAlert } from '../support/sampleAlerts';
import { launchChromium } from './support/browser';

/**
 * Renders the alert cards with the Adaptive Cards JavaScript renderer in headless Chromium,
 * the closest offline stand-in for Teams, and keeps screenshots for a person to look at.
 */

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'test-output');
const RENDERER = path.join(ROOT, 'node_modules/adaptivecards/dist/adaptivecards.min.js');

/** Roughly Teams' light theme and the width of a full-width card in a channel. */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin: 0; padding: 16px; background: #f5f5f5; font-family: 'Segoe UI', 'Noto Sans', 'DejaVu Sans', sans-serif; }
  #card { width: 760px; background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.2); overflow: hidden; }
</style></head><body><div id="card"></div></body></html>`;

interface Rendered {
  text: string;
  parseEvents: string[];
  validationEvents: string[];
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
  // No skip when Chromium is missing: the screenshots are part of what this test checks.
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  fs.mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

async function render(view: AlertView): Promise<Rendered> {
  const { message } = alertMessage(view);
  await page.setContent(PAGE);
  await page.addScriptTag({ path: RENDERER });
  return page.evaluate((content) => {
    const AC = (window as unknown as { AdaptiveCards: typeof import('adaptivecards') }).AdaptiveCards;
    // Teams' markdown subset as far as this card relies on it: backslash escapes are shown as the character.
    AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
      const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      result.outputHtml = `<p style="margin:0">${escaped.replace(/\\([!-/:-@[-`{-~])/g, '$1')}</p>`;
      result.didProcess = true;
    };
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext();
    card.parse(content, context);
    const parseEvents = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
    const validationEvents = card.validateProperties().validationEvents.map((e) => e.message);
    const element = card.render();
    if (!element) throw new Error('the card rendered nothing');
    document.getElementById('card')!.appendChild(element);
    return { text: element.innerText, parseEvents, validationEvents };
  }, message.attachments[0].content);
}

async function screenshot(name: string): Promise<string> {
  const file = path.join(OUT, name);
  await page.locator('#card').screenshot({ path: file });
  return file;
}

describe('alert card rendering in Chromium', () => {
  it('renders the regression card with its headline, facts and steps', async () => {
    const view = regressionAlert();
    const r = await render(view);
    expect(r.parseEvents).toEqual([]);
    expect(r.validationEvents).toEqual([]);
    expect(r.text).toContain('Image size regression: shop/api:v2');
    expect(r.text).toContain('contosoprod.azurecr.io');
    expect(r.text).toContain('132 MiB → 423 MiB');
    expect(r.text).toContain('Dockerfile steps that grew most');
    // The escape for the glob must not show, as Teams does not show it.
    expect(r.text).toContain('rm -rf /var/lib/apt/lists/*');
    expect(r.text).not.toContain('\\*');
    const file = await screenshot('alert-regression.png');
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);

    // Teams on a phone: the step rows must still leave the step text room to wrap.
    await page.evaluate(() => {
      document.getElementById('card')!.style.width = '360px';
    });
    const narrow = await page.evaluate(() => {
      const columns = Array.from(document.querySelectorAll<HTMLElement>('#card .ac-columnSet'));
      return columns.map((c) => (c.firstElementChild as HTMLElement | null)?.getBoundingClientRect().width ?? 0);
    });
    expect(Math.min(...narrow)).toBeGreaterThan(150);
    await screenshot('alert-regression-narrow.png');
  });

  it('renders the improvement card in the "good" style', async () => {
    const r = await render(improvementAlert());
    expect(r.parseEvents).toEqual([]);
    expect(r.validationEvents).toEqual([]);
    expect(r.text).toContain('Image got smaller: shop/web:v3');
    expect(r.text).toContain('Dockerfile steps that shrank most');
    const file = await screenshot('alert-improvement.png');
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  });

  it('renders the first-push budget card and the trimmed pathological card', async () => {
    const first = await render(firstPushBudgetAlert());
    expect(first.parseEvents).toEqual([]);
    expect(first.text).toContain('Image over its size budget: ml/inference:1.0.0');
    expect(first.text).toContain('First push');
    await screenshot('alert-first-push.png');

    const worst = await render(pathologicalAlert());
    expect(worst.parseEvents).toEqual([]);
    expect(worst.validationEvents).toEqual([]);
    expect(worst.text).toContain('legacy/monolith');
    await screenshot('alert-pathological.png');
  });

  it('renders what is inside the image: figures, what grew with its step, findings with their advice', async () => {
    const r = await render(contentAlert());
    expect(r.parseEvents).toEqual([]);
    expect(r.validationEvents).toEqual([]);
    for (const text of [
      'What is inside',
      'On disk',
      '1.1 GiB',
      'Efficiency (dive)',
      '80.3%',
      'Grew most',
      '/usr/lib/gcc',
      'Does not belong in production',
      'a multi-stage build',
    ])
      expect(r.text).toContain(text);
    expect(r.text).toContain('rm -rf /var/lib/apt/lists/*');
    const file = await screenshot('alert-content.png');
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  });
});
