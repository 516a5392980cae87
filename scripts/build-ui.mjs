#!/usr/bin/env node
// The dashboard, dist/ui/: each page one self-contained HTML file, its script and styles
// inlined, so `GET /api/ui` answers one file and nothing is fetched from elsewhere at run
// time (the page's CSP allows no other origin). esbuild bundles the TypeScript under ui/
// (and what it imports from src/core, the formatting the Teams cards use).
//
//   index.html      every view but the reference (ui/src/main.ts)
//   reference.html  the API reference, rendered from /api/openapi.json by Redoc (ui/src/reference/main.ts)
//
//   node scripts/build-ui.mjs     (run by `npm run build`, before scripts/build-deploy.mjs copies it into dist/deploy/ui/)
import { build } from 'esbuild';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = path.join(root, 'dist', 'ui');

const PAGES = [
  { file: 'index.html', entry: 'ui/src/main.ts', title: 'Image sizes' },
  // Redoc's standalone bundle is a UMD file whose CommonJS branch requires a module named
  // "null": loaded as a plain script it sets window.Redoc, so it goes in as it is, a
  // script of its own before the page's.
  // Its sidebar credit loads Redocly's logo from their CDN, which the CSP refuses (and
  // reports as an error): the credit stays, with an empty image of the same size.
  {
    file: 'reference.html',
    entry: 'ui/src/reference/main.ts',
    title: 'API reference',
    before: [require.resolve('redoc/bundles/redoc.standalone.js')],
    patch: [['"https://cdn.redoc.ly/redoc/logo-mini.svg"', `"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='16' height='16'/%3E"`]],
  },
];

function patched(text, file, patches = []) {
  for (const [from, to] of patches) {
    if (!text.includes(from)) throw new Error(`build-ui: ${file} no longer contains ${from}; check what it loads from elsewhere now`);
    text = text.split(from).join(to);
  }
  return text;
}

async function bundle(entry) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outdir: out,
    write: false,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // Browsers of the last few years: what a Teams link opens in.
    target: ['chrome109', 'edge109', 'firefox115', 'safari16'],
    minify: true,
    legalComments: 'eof',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  if (result.warnings.length > 0) throw new Error(`build-ui: ${result.warnings.length} esbuild warning(s) for ${entry}`);
  const of = (ext) =>
    result.outputFiles
      .filter((f) => f.path.endsWith(ext))
      .map((f) => f.text)
      .join('\n');
  return { js: of('.js'), css: of('.css') };
}

/**
 * Script text safe inside <script>: `</script` would end the element, and `<!--` followed
 * later by `<script` would put the HTML parser in its "double escaped" state, where the
 * real end tag no longer counts (Redoc's bundle has both sequences, in strings and
 * regular expressions). `\x3C` is `<` in every JavaScript string and regular expression,
 * so the code means the same.
 */
function inlinable(js) {
  // After a backslash the `<` is already escaped, and `\x3C` would turn it into a literal backslash.
  if (/\\<(?=\/script|!--|script)/i.test(js)) throw new Error('build-ui: an escaped "<" before script or !-- cannot be made inlinable');
  return js.replace(/<(?=\/script|!--|script)/gi, '\\x3C').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

function checkStyle(css, entry) {
  if (/<\/style/i.test(css)) throw new Error(`build-ui: the styles of ${entry} contain "</style" and cannot be inlined`);
}

function page({ title, scripts, css }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · acr-size-tracker</title>
<style>${css}</style>
</head>
<body>
<div id="app"></div>
${scripts.map((js) => `<script>${js}</script>`).join('\n')}
</body>
</html>
`;
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
for (const p of PAGES) {
  const { js, css } = await bundle(p.entry);
  checkStyle(css, p.entry);
  const scripts = [...(p.before ?? []).map((f) => patched(fs.readFileSync(f, 'utf8'), path.relative(root, f), p.patch)), js].map(inlinable);
  fs.writeFileSync(path.join(out, p.file), page({ title: p.title, scripts, css }));
}
