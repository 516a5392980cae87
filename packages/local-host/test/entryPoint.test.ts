import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGlob, resolveEntryPoints } from '../src/entryPoint';

let root: string;
const touch = (file: string) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), '');
};
const rel = (files: string[]) => files.map((f) => path.relative(root, f).split(path.sep).join('/'));

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-'));
  ['dist/src/index.js', 'dist/src/functions/a.js', 'dist/src/functions/b.js', 'dist/src/functions/b.js.map', 'dist/src/functions/nested/c.js', 'node_modules/x/y.js'].forEach(touch);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('package.json main', () => {
  it('expands *, ** and {a,b} globs', () => {
    expect(rel(expandGlob(root, 'dist/src/functions/*.js'))).toEqual(['dist/src/functions/a.js', 'dist/src/functions/b.js']);
    expect(rel(expandGlob(root, 'dist/**/*.js'))).toEqual([
      'dist/src/functions/a.js',
      'dist/src/functions/b.js',
      'dist/src/functions/nested/c.js',
      'dist/src/index.js',
    ]);
    expect(rel(expandGlob(root, 'dist/src/functions/{a,nested/c}.js'))).toEqual(['dist/src/functions/a.js', 'dist/src/functions/nested/c.js']);
    expect(rel(expandGlob(root, './dist/src/functions/?.js'))).toEqual(['dist/src/functions/a.js', 'dist/src/functions/b.js']);
  });

  it('resolves a plain file or a glob from package.json', () => {
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ main: 'dist/src/index.js' }));
    expect(rel(resolveEntryPoints(root))).toEqual(['dist/src/index.js']);
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ main: 'dist/src/functions/*.js' }));
    expect(rel(resolveEntryPoints(root))).toHaveLength(2);
  });

  it('explains a main that matches nothing', () => {
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ main: 'build/*.js' }));
    expect(() => resolveEntryPoints(root)).toThrow(/"main" \(build\/\*\.js\) matches no file .*npm run build/);
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'x' }));
    expect(() => resolveEntryPoints(root)).toThrow(/has no "main"/);
  });
});
