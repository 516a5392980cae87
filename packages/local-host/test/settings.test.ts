import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applySettings, readLocalSettings, resolveAppSettingReferences } from '../src/settings';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-settings-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, value: unknown) => fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));

describe('readLocalSettings', () => {
  it('copies local.settings.sample.json when local.settings.json is missing, and says so', () => {
    write('local.settings.sample.json', { IsEncrypted: false, Values: { A: 'sample', N: 5, B: true } });
    const settings = readLocalSettings(dir);
    expect(settings.values).toEqual({ A: 'sample', N: '5', B: 'true' });
    expect(settings.notes.join('\n')).toMatch(/Created local\.settings\.json from local\.settings\.sample\.json/);
    expect(fs.readFileSync(path.join(dir, 'local.settings.json'), 'utf8')).toBe(fs.readFileSync(path.join(dir, 'local.settings.sample.json'), 'utf8'));
  });

  it('prefers an existing local.settings.json and reads Host.LocalHttpPort', () => {
    write('local.settings.sample.json', { Values: { A: 'sample' } });
    write('local.settings.json', { Values: { A: 'mine' }, Host: { LocalHttpPort: 7080 } });
    expect(readLocalSettings(dir)).toEqual({ values: { A: 'mine' }, localHttpPort: 7080, notes: [] });
  });

  it('works with neither file', () => {
    expect(readLocalSettings(dir).values).toEqual({});
  });

  it.each([
    ['{ nope', /local\.settings\.json is not valid JSON/],
    [{ IsEncrypted: true, Values: {} }, /is encrypted/],
    [{ Values: { A: { nested: 1 } } }, /Values\.A must be a string/],
    [{ Values: [] }, /"Values" must be an object/],
  ])('rejects %j', (content, message) => {
    write('local.settings.json', content);
    expect(() => readLocalSettings(dir)).toThrow(message);
  });
});

describe('applySettings', () => {
  it('lets environment variables override file values', () => {
    const env: NodeJS.ProcessEnv = { A: 'from-env' };
    applySettings({ A: 'from-file', B: 'from-file' }, env);
    expect(env).toEqual({ A: 'from-env', B: 'from-file' });
  });
});

describe('resolveAppSettingReferences', () => {
  it('replaces %NAME% with app settings', () => {
    expect(resolveAppSettingReferences('%PREFIX%-events-%ENV%', { PREFIX: 'acr', ENV: 'dev' }, 'x')).toBe('acr-events-dev');
    expect(resolveAppSettingReferences('plain', {}, 'x')).toBe('plain');
  });

  it('names a missing setting', () => {
    expect(() => resolveAppSettingReferences('%MISSING%', {}, 'function "f" queueName')).toThrow(
      'function "f" queueName: app setting "MISSING" (referenced as %MISSING%) is not set',
    );
  });
});
