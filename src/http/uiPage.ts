import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { HttpResponseInit } from '@azure/functions';
import { SIGN_IN_META } from '../core/signIn';
import { problem } from './responses';

/**
 * The dashboard's pages as `GET /api/ui` serves them: self-contained HTML files that
 * scripts/build-ui.mjs writes (dist/ui/, and ui/ in the deployment package), read once
 * per process. The pages hold no data (they call the read APIs, under their own auth
 * level), so serving them needs no key.
 */

/** The API reference is a page of its own: its renderer is larger than the whole dashboard, and only it needs it. */
export const UI_FILES = { dashboard: 'index.html', reference: 'reference.html' } as const;
export type UiPageName = keyof typeof UI_FILES;

export interface UiPage {
  html: string;
  etag: string;
  csp: string;
}

/** `sha256-…` CSP sources of the page's inline `<script>` or `<style>` elements, in document order. */
export function inlineHashes(html: string, element: 'script' | 'style'): string[] {
  const re = element === 'script' ? /<script\b[^>]*>([\s\S]*?)<\/script>/gi : /<style\b[^>]*>([\s\S]*?)<\/style>/gi;
  return [...html.matchAll(re)].map((m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
}

/**
 * No external origin anywhere, and only the page's own inline code runs (by hash: a
 * script injected through a rendered value would not). The APIs are same-origin.
 * The reference renderer (Redoc) writes its styles as `<style>` elements at run time and
 * runs its search in a worker made from a blob, so its page allows inline styles (which
 * cannot run code) and blob workers; scripts stay hash-only there too.
 */
export function contentSecurityPolicy(html: string, page: UiPageName, signIn?: PageSignIn): string {
  const scripts = inlineHashes(html, 'script').join(' ');
  const styles = page === 'reference' ? "'unsafe-inline'" : inlineHashes(html, 'style').join(' ') || "'none'";
  return [
    "default-src 'none'",
    `script-src ${scripts || "'none'"}`,
    `style-src ${styles}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    // Signing in redeems the code at the tenant's token endpoint, from the page (a single-page app's flow).
    `connect-src 'self'${signIn ? ` ${new URL(signIn.authority).origin}` : ''}`,
    ...(page === 'reference' ? ['worker-src blob:'] : []),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

/** What the pages need to sign people in with Entra ID (src/config.ts signInSettings), as they read it. */
export interface PageSignIn {
  /** `<authority host>/<tenant id>`: the authorize and token endpoints are under `/oauth2/v2.0/`. */
  authority: string;
  clientId: string;
  /** The scope to ask for: `api://<client id>/<ENTRA_SCOPE>`. */
  scope: string;
}

const attribute = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The page with the sign-in settings in a `<meta>` element: data, not script, so the
 * CSP's script hashes stay those of the build, and a page without it signs nobody in.
 */
export function withSignIn(html: string, signIn: PageSignIn | undefined): string {
  if (!signIn) return html;
  if (!html.includes('</head>')) throw new Error('the dashboard page has no </head> to put the sign-in settings before');
  return html.replace('</head>', `<meta name="${SIGN_IN_META}" content="${attribute(JSON.stringify(signIn))}"></head>`);
}

/**
 * Reads each page the first time it is asked for, from the first directory that holds
 * it, and keeps it for the life of the process. A page not found is looked for again on
 * the next request, so a build finished while the host runs is picked up.
 */
export class UiPages {
  private readonly loaded = new Map<UiPageName, UiPage>();

  constructor(
    private readonly directories: string[],
    private readonly signIn?: PageSignIn,
  ) {}

  get(name: UiPageName): UiPage | undefined {
    const cached = this.loaded.get(name);
    if (cached) return cached;
    for (const dir of this.directories) {
      const file = path.join(dir, UI_FILES[name]);
      if (!fs.existsSync(file)) continue;
      const html = withSignIn(fs.readFileSync(file, 'utf8'), this.signIn);
      const page = {
        html,
        etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`,
        csp: contentSecurityPolicy(html, name, this.signIn),
      };
      this.loaded.set(name, page);
      return page;
    }
    return undefined;
  }
}

/**
 * The answer to `GET /api/ui?view=…`: every view but the reference is the same page,
 * which routes on its query string in the browser (the local host serves literal routes
 * only, and a query string survives being pasted into Teams). `no-cache` with an ETag:
 * the browser keeps the page but asks each time whether a deployment changed it.
 */
export function uiResponse(pages: UiPages, view: string | null, ifNoneMatch: string | null): HttpResponseInit {
  const name: UiPageName = view === 'reference' ? 'reference' : 'dashboard';
  const page = pages.get(name);
  if (!page)
    return problem(503, `the dashboard is not built: run \`npm run build\` (scripts/build-ui.mjs writes dist/ui/${UI_FILES[name]})`, {
      file: `ui/${UI_FILES[name]}`,
    });
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    etag: page.etag,
    'content-security-policy': page.csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === page.etag)) return { status: 304, headers };
  return { status: 200, headers, body: page.html };
}
