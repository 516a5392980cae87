import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UiPages, contentSecurityPolicy, inlineHashes, uiResponse, withSignIn } from '../../src/http/uiPage';

const PAGE = '<!doctype html><html><head><style>body{margin:0}</style></head><body><div id="app"></div><script>console.log(1)</script></body></html>';
const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

const dirs: string[] = [];
function dirWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ui-page-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('the dashboard page answer', () => {
  it('hashes each inline script and style for the CSP, and allows no other origin', () => {
    expect(inlineHashes(PAGE, 'script')).toEqual([sha('console.log(1)')]);
    expect(inlineHashes(PAGE, 'style')).toEqual([sha('body{margin:0}')]);
    const csp = contentSecurityPolicy(PAGE, 'dashboard');
    expect(csp).toContain(`script-src ${sha('console.log(1)')}`);
    expect(csp).toContain(`style-src ${sha('body{margin:0}')}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|unsafe/);
    // The reference renderer writes <style> elements at run time; its scripts stay hash-only.
    const ref = contentSecurityPolicy(PAGE, 'reference');
    expect(ref).toContain("style-src 'unsafe-inline'");
    expect(ref).toContain(`script-src ${sha('console.log(1)')}`);
  });

  it('answers the dashboard for every view but the reference, with its headers, and 304 for a matching ETag', () => {
    const pages = new UiPages([dirWith({ 'index.html': PAGE, 'reference.html': PAGE.replace('1', '2') })]);
    const res = uiResponse(pages, 'compare', null);
    expect(res.status).toBe(200);
    expect(res.body).toBe(PAGE);
    expect(res.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    const etag = (res.headers as Record<string, string>).etag!;
    expect(uiResponse(pages, null, etag)).toMatchObject({ status: 304 });
    expect(uiResponse(pages, 'reference', null).body).toBe(PAGE.replace('1', '2'));
  });

  it('takes the first directory holding the page (the bundle’s ui/, then dist/ui/), and reads it once', () => {
    const built = dirWith({ 'index.html': PAGE });
    const pages = new UiPages([path.join(built, 'missing'), built]);
    expect(uiResponse(pages, 'registry', null).status).toBe(200);
    fs.writeFileSync(path.join(built, 'index.html'), 'changed');
    expect(uiResponse(pages, 'registry', null).body).toBe(PAGE);
  });

  it('answers 503 naming the build step while the page is not built, and serves it once it is', () => {
    const dir = dirWith({});
    const pages = new UiPages([dir]);
    const res = uiResponse(pages, 'registry', null);
    expect(res.status).toBe(503);
    expect((res.jsonBody as { error: string }).error).toMatch(/npm run build.*scripts\/build-ui\.mjs/);
    fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
    expect(uiResponse(pages, 'registry', null).status).toBe(200);
  });
});

describe('the page with Entra ID sign-in on', () => {
  const signIn = { authority: 'https://login.microsoftonline.com/t-1', clientId: 'c-1', scope: 'api://c-1/access_as_user' };

  it('carries the settings in a <meta> element, escaped, and keeps the hashes of its scripts', () => {
    const html = withSignIn(PAGE, signIn);
    expect(html).toContain(
      '<meta name="acr-size-tracker-sign-in" content="{&quot;authority&quot;:&quot;https://login.microsoftonline.com/t-1&quot;,&quot;clientId&quot;:&quot;c-1&quot;,&quot;scope&quot;:&quot;api://c-1/access_as_user&quot;}"></head>',
    );
    expect(inlineHashes(html, 'script')).toEqual(inlineHashes(PAGE, 'script'));
    expect(withSignIn(PAGE, undefined)).toBe(PAGE);
    expect(withSignIn(PAGE, { ...signIn, clientId: '"><script>x</script>' })).not.toContain('<script>x');
  });

  it("lets the page reach the tenant's token endpoint, and nothing else", () => {
    expect(contentSecurityPolicy(PAGE, 'dashboard', signIn)).toContain("connect-src 'self' https://login.microsoftonline.com;");
    const pages = new UiPages([dirWith({ 'index.html': PAGE })], signIn);
    const res = uiResponse(pages, 'registry', null);
    expect(res.body).toContain('acr-size-tracker-sign-in');
    // A page with other settings is another page: another ETag.
    expect((res.headers as Record<string, string>).etag).not.toBe(
      (uiResponse(new UiPages([dirWith({ 'index.html': PAGE })]), 'registry', null).headers as Record<string, string>).etag,
    );
  });
});
