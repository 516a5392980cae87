import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFunctionsVersion, installedFunctionsVersion, supportedFunctionsVersion, UnsupportedFunctionsVersionError } from '../src/functionsVersion';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'functions-version-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A project whose node_modules holds an @azure/functions of `version` (or none). */
function project(name: string, version?: string): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(root);
  if (version) {
    const dir = path.join(root, 'node_modules', '@azure', 'functions');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '@azure/functions', version }));
  }
  return root;
}

describe('the @azure/functions version the shim was written against', () => {
  it("is this package's exact peer dependency, and the one installed here", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
    expect(supportedFunctionsVersion()).toBe(pkg.peerDependencies['@azure/functions']);
    expect(supportedFunctionsVersion()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installedFunctionsVersion(path.join(__dirname, '..'))?.version).toBe(supportedFunctionsVersion());
  });

  it('accepts an app with that version, or without the library', () => {
    expect(() => checkFunctionsVersion(project('same', supportedFunctionsVersion()))).not.toThrow();
    expect(() => checkFunctionsVersion(project('none'))).not.toThrow();
  });

  it('refuses any other version, naming both', () => {
    const root = project('other', '4.99.0');
    expect(() => checkFunctionsVersion(root)).toThrow(UnsupportedFunctionsVersionError);
    expect(() => checkFunctionsVersion(root)).toThrow(
      `The app uses @azure/functions 4.99.0 (${path.join(root, 'node_modules', '@azure', 'functions')}), but the local host was written against @azure/functions ${supportedFunctionsVersion()}.`,
    );
  });
});
