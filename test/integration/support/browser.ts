import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium as the dashboard and card tests (and bench/dashboard.ts) drive it: the
 * system's build, in a container without a sandbox or GPU, and nothing of its own on the
 * network (no QUIC, updates, sync or background requests) to muddy a request log or a timing.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Through the DevTools protocol, which the page's CSP does not govern (an injected <script> would be refused).
  await page.evaluate(axe.source);
  const result = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
