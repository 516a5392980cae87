import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntryPointError, resolveEntryPoint } from '../src/entryPoint';

let root: string;
const writeMain = (main: unknown) => fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify(main === undefined ? { name: 'x' } : { main }));

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-'));
  fs.mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'src', 'index.js'), '');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('package.json main', () => {
  it('resolves the file it names', () => {
    writeMain('dist/src/index.js');
    expect(resolveEntryPoint(root)).toBe(path.join(root, 'dist', 'src', 'index.js'));
    writeMain('./dist/src/index.js');
    expect(resolveEntryPoint(root)).toBe(path.join(root, 'dist', 'src', 'index.js'));
  });

  it('refuses a glob, saying the host loads a single entry file', () => {
    for (const glob of ['dist/src/functions/*.js', 'dist/**/index.js', 'dist/src/{a,b}.js']) {
      writeMain(glob);
      expect(() => resolveEntryPoint(root)).toThrow(
        new RegExp(`"main" \\(${glob.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) is a glob; the local host loads a single entry file`),
      );
    }
  });

  it('explains a main that is missing or names no file', () => {
    writeMain('build/index.js');
    expect(() => resolveEntryPoint(root)).toThrow(/"main" \(build\/index\.js\) does not exist under .*npm run build/);
    writeMain(undefined);
    expect(() => resolveEntryPoint(root)).toThrow(EntryPointError);
    expect(() => resolveEntryPoint(root)).toThrow(/has no "main"/);
  });
});
