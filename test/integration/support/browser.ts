import { chromium, type Browser } from 'playwright-core';

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
