import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config';
import { MAX_WEBHOOK_BYTES } from '../../src/http/webhook';
import { LAYER_INDEX_CONTAINER } from '../../src/names';

/**
 * Static checks of the infrastructure: no Bicep compiler or Azure CLI runs here, so these
 * read the text of infra/**\/*.bicep with a small scanner that knows Bicep's comments,
 * strings and string interpolation, and hold it to what the app needs (settings, routes)
 * and to what Azure documents (built-in role ids, Flex Consumption, identity-only access).
 */

const ROOT = path.resolve(__dirname, '../..');
const INFRA = path.join(ROOT, 'infra');
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

// Azure built-in roles and their ids, as listed in
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
const BUILT_IN_ROLES: Record<string, string> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  'Container Registry Repository Reader': 'b93aa761-3e63-49ed-ac28-beffa264f7ac',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
};

// App settings the Flex Consumption plan rejects or ignores (its runtime, scale and
// deployment live in functionAppConfig instead), plus key-based storage connections.
const FLEX_REJECTED_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_MAX_HTTP_CONCURRENCY',
  'FUNCTIONS_WORKER_PROCESS_COUNT',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTOVERVNET',
  'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
  'WEBSITE_SKIP_CONTENTSHARE_VALIDATION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_TIME_ZONE',
  'TZ',
  'AzureWebJobsStorage',
];

// ---------------------------------------------------------------------------------
// A small Bicep scanner
// ---------------------------------------------------------------------------------

interface Scanned {
  file: string;
  /** The original text. */
  text: string;
  /** Comments blanked (same offsets); strings intact. */
  code: string;
  /** Comments and string contents blanked (quotes kept): brackets here are structure. */
  shape: string;
}

/** Blanks comments and string contents, following '...' strings and ${...} interpolation. */
function scan(file: string, text: string): Scanned {
  const code = text.split('');
  const shape = text.split('');
  const blank = (arr: string[], i: number) => {
    if (arr[i] !== '\n') arr[i] = ' ';
  };
  // Stack of contexts: 'code', 'string', or an interpolation with its brace depth.
  const stack: ({ kind: 'code' } | { kind: 'string' } | { kind: 'interp'; depth: number })[] = [{ kind: 'code' }];
  let i = 0;
  while (i < text.length) {
    const top = stack[stack.length - 1]!;
    const c = text[i]!;
    const next = text[i + 1];
    if (top.kind === 'string') {
      if (c === '\\') {
        blank(shape, i);
        blank(shape, i + 1);
        i += 2;
        continue;
      }
      if (c === "'") {
        stack.pop();
        i += 1;
        continue;
      }
      if (c === '$' && next === '{') {
        blank(shape, i);
        blank(shape, i + 1);
        stack.push({ kind: 'interp', depth: 0 });
        i += 2;
        continue;
      }
      blank(shape, i);
      i += 1;
      continue;
    }
    // code or interpolation
    const inInterp = top.kind === 'interp';
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') {
        blank(code, i);
        blank(shape, i);
        i += 1;
      }
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (; i < stop; i++) {
        blank(code, i);
        blank(shape, i);
      }
      continue;
    }
    if (c === "'") {
      if (text.startsWith("'''", i)) throw new Error(`${file}: multi-line strings are not supported by this scanner`);
      stack.push({ kind: 'string' });
      if (inInterp) blank(shape, i);
      i += 1;
      continue;
    }
    if (inInterp) {
      if (c === '{') top.depth += 1;
      if (c === '}') {
        if (top.depth === 0) {
          stack.pop();
          blank(shape, i);
          i += 1;
          continue;
        }
        top.depth -= 1;
      }
      blank(shape, i);
    }
    i += 1;
  }
  if (stack.length !== 1) throw new Error(`${file}: unterminated string or interpolation`);
  return { file, text, code: code.join(''), shape: shape.join('') };
}

const OPEN: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index of the bracket closing the one at `open` (in the shape text). */
function closing(s: Scanned, open: number): number {
  const stack: string[] = [];
  for (let i = open; i < s.shape.length; i++) {
    const c = s.shape[i]!;
    if (c in OPEN) stack.push(OPEN[c]!);
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`${s.file}: unbalanced '${c}' at offset ${i}`);
      if (stack.length === 0) return i;
    }
  }
  throw new Error(`${s.file}: no closing bracket for offset ${open}`);
}

/** A span of a scanned file; `value` is the code text (comments blanked), trimmed. */
interface Span {
  start: number;
  end: number;
  value: string;
}
const span = (s: Scanned, start: number, end: number): Span => ({ start, end, value: s.code.slice(start, end).trim() });

/** The entries `key: value` directly inside the object whose braces are at open/close. */
function entries(s: Scanned, open: number, close: number): Map<string, Span> {
  const out = new Map<string, Span>();
  let i = open + 1;
  while (i < close) {
    // skip whitespace and separators
    while (i < close && /[\s,]/.test(s.shape[i]!)) i++;
    if (i >= close) break;
    const rest = s.code.slice(i, close);
    const key = /^(?:'([^']*)'|([A-Za-z_$][\w$]*))\s*:/.exec(rest);
    // End of this entry: the next newline or comma outside brackets.
    const valueStart = key ? i + key[0].length : i;
    let j = valueStart;
    let depth = 0;
    for (; j < close; j++) {
      const c = s.shape[j]!;
      if (c in OPEN) depth++;
      else if (c === '}' || c === ']' || c === ')') depth--;
      else if (depth === 0 && (c === '\n' || c === ',')) break;
    }
    if (key) out.set(key[1] ?? key[2]!, span(s, valueStart, j));
    i = j + 1;
  }
  return out;
}

/** Follows a dotted path of object keys from an object span; undefined when absent. */
function get(s: Scanned, obj: Span, dotted: string): Span | undefined {
  let current: Span | undefined = obj;
  for (const key of dotted.split('.')) {
    if (!current) return undefined;
    const open = s.shape.indexOf('{', current.start);
    if (open === -1 || open >= current.end || s.code.slice(current.start, open).trim() !== '') return undefined;
    current = entries(s, open, closing(s, open)).get(key);
  }
  return current;
}

/** Items of an array literal span ('[' ... ']'), one per line or comma. */
function arrayItems(s: Scanned, arr: Span): string[] {
  const open = s.shape.indexOf('[', arr.start);
  const close = closing(s, open);
  const items: string[] = [];
  let depth = 0;
  let from = open + 1;
  for (let i = open + 1; i <= close; i++) {
    const c = s.shape[i]!;
    if (i === close || (depth === 0 && (c === '\n' || c === ','))) {
      const item = s.code.slice(from, i).trim();
      if (item) items.push(item);
      from = i + 1;
      continue;
    }
    if (c in OPEN) depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
  }
  return items;
}

/** Arguments of the call whose '(' is at `open`. */
function callArgs(s: Scanned, open: number): string[] {
  const close = closing(s, open);
  const args: string[] = [];
  let depth = 0;
  let from = open + 1;
  for (let i = open + 1; i < close; i++) {
    const c = s.shape[i]!;
    if (c in OPEN) depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 0 && c === ',') {
      args.push(s.code.slice(from, i).trim());
      from = i + 1;
    }
  }
  args.push(s.code.slice(from, close).trim());
  return args.filter((a) => a !== '');
}

interface Statement {
  kind: string;
  name: string;
  decorators: string;
  /** Everything after the name up to the next top-level statement. */
  rest: Span;
  start: number;
}

/** Top-level declarations (param, var, resource, module, output) with their decorators. */
function statements(s: Scanned): Statement[] {
  const lines: { start: number; end: number }[] = [];
  let at = 0;
  for (const line of s.code.split('\n')) {
    lines.push({ start: at, end: at + line.length });
    at += line.length + 1;
  }
  // Bracket depth at each line start.
  const depthAt: number[] = [];
  let depth = 0;
  let li = 0;
  for (let i = 0; i <= s.shape.length; i++) {
    while (li < lines.length && lines[li]!.start === i) depthAt[li++] = depth;
    const c = s.shape[i];
    if (c === undefined) break;
    if (c in OPEN) depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
  }
  const out: Statement[] = [];
  let decorators = '';
  let current: Statement | undefined;
  const finish = (end: number) => {
    if (current) current.rest = span(s, current.rest.start, end);
    current = undefined;
  };
  lines.forEach((line, n) => {
    if (depthAt[n] !== 0) return;
    const text = s.code.slice(line.start, line.end);
    if (/^\s*@/.test(text)) {
      finish(line.start);
      decorators += text + '\n';
      return;
    }
    const decl = /^\s*(param|var|resource|module|output|type|func)\s+([A-Za-z_][\w]*)/.exec(text);
    if (decl) {
      finish(line.start);
      current = { kind: decl[1]!, name: decl[2]!, decorators, rest: span(s, line.start + decl[0].length, s.code.length), start: line.start };
      out.push(current);
      decorators = '';
      return;
    }
    if (/^\s*(targetScope|import|metadata)\b/.test(text)) {
      finish(line.start);
      decorators = '';
    }
  });
  finish(s.code.length);
  // Decorators that span lines (e.g. @allowed([...])) were gathered through their first line only;
  // re-read them from the text between the previous statement and this one.
  return out.map((st, k) => {
    const prevEnd = k === 0 ? 0 : out[k - 1]!.rest.end;
    const between = s.code.slice(prevEnd, st.start);
    return { ...st, decorators: between.slice(between.indexOf('@') === -1 ? between.length : between.indexOf('@')) };
  });
}

interface Resource {
  symbol: string;
  type: string;
  condition?: string;
  body: Span;
}

function resources(s: Scanned): Resource[] {
  const out: Resource[] = [];
  const re = /\bresource\s+([A-Za-z_]\w*)\s+'([^']+)'\s*(existing\s*)?=/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s.code))) {
    let i = m.index + m[0].length;
    // optional `if (condition)`
    const rest = s.code.slice(i);
    let condition: string | undefined;
    const cond = /^\s*if\s*\(/.exec(rest);
    if (cond) {
      const open = i + cond[0].length - 1;
      const close = closing(s, open);
      condition = s.code.slice(open + 1, close).trim();
      i = close + 1;
    }
    const open = s.shape.indexOf('{', i);
    const close = closing(s, open);
    out.push({ symbol: m[1]!, type: m[2]!, ...(condition ? { condition } : {}), body: span(s, open, close + 1) });
  }
  return out;
}

/** Keys and values of `var <name> = { ... }`. */
function varObject(s: Scanned, name: string): Map<string, Span> {
  const m = new RegExp(`^var\\s+${name}\\s*=\\s*\\{`, 'm').exec(s.code);
  if (!m) throw new Error(`${s.file}: no object literal "var ${name} = {"`);
  const open = m.index + m[0].length - 1;
  return entries(s, open, closing(s, open));
}

const unquote = (v: string | undefined) => (v === undefined ? undefined : /^'([^']*)'$/.exec(v)?.[1]);
const normalize = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

// ---------------------------------------------------------------------------------
// The files
// ---------------------------------------------------------------------------------

function bicepFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return bicepFiles(p);
    return d.name.endsWith('.bicep') ? [p] : [];
  });
}

const files = bicepFiles(INFRA).map((p) => scan(path.relative(ROOT, p), fs.readFileSync(p, 'utf8')));
const byName = (rel: string) => {
  const f = files.find((x) => x.file === rel);
  if (!f) throw new Error(`missing ${rel}`);
  return f;
};
const main = byName('infra/main.bicep');
const appModule = byName('infra/modules/app.bicep');
const allResources = files.flatMap((f) => resources(f).map((r) => ({ ...r, scanned: f })));
const resourcesOfType = (prefix: string) => allResources.filter((r) => r.type.toLowerCase().startsWith(prefix.toLowerCase() + '@'));
const oneResource = (prefix: string) => {
  const found = resourcesOfType(prefix);
  expect(found, `exactly one ${prefix}`).toHaveLength(1);
  return found[0]!;
};
const prop = (r: { scanned: Scanned; body: Span }, dotted: string) => get(r.scanned, r.body, dotted)?.value;
const parameters = JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> };

// The app's settings: always set, and set only when not empty.
const alwaysSet = new Map<string, { file: Scanned; value: Span }>();
const setWhenGiven = new Map<string, { file: Scanned; value: Span }>();
for (const [file, name, target] of [
  [main, 'requiredAppSettings', alwaysSet],
  [main, 'optionalAppSettings', setWhenGiven],
  [appModule, 'platformSettings', alwaysSet],
  [appModule, 'optionalPlatformSettings', setWhenGiven],
] as const) {
  for (const [key, value] of varObject(file, name)) {
    if (alwaysSet.has(key) || setWhenGiven.has(key)) throw new Error(`app setting ${key} is defined twice`);
    target.set(key, { file, value });
  }
}
const settingValue = (key: string) => (alwaysSet.get(key) ?? setWhenGiven.get(key))?.value.value;

// ---------------------------------------------------------------------------------

describe('the scanner', () => {
  it('blanks comments but not // inside strings, and follows interpolation', () => {
    const s = scan('t.bicep', "var a = 'https://x/${f('}')}' // c {\nvar b = { k: 'v' /* { */ }\n");
    expect(s.code).toContain("'https://x/${f('}')}'");
    expect(s.code).not.toContain('// c');
    expect(varObject(s, 'b').get('k')?.value).toBe("'v'");
  });

  it('finds resources, conditions, nested properties and call arguments', () => {
    const s = scan('t.bicep', "resource r 'A/b@1' = if (!empty(x)) {\n  name: guid(a.id, b, 'c,d')\n  properties: {\n    p: { q: [\n      'x'\n      'y'\n    ] }\n  }\n}\n");
    const [r] = resources(s);
    expect(r?.condition).toBe('!empty(x)');
    expect(get(s, r!.body, 'properties.p.q')?.value).toMatch(/^\[/);
    expect(arrayItems(s, get(s, r!.body, 'properties.p.q')!)).toEqual(["'x'", "'y'"]);
    const name = get(s, r!.body, 'name')!;
    expect(callArgs(s, s.code.indexOf('(', name.start))).toEqual(['a.id', 'b', "'c,d'"]);
  });
});

describe('app settings', () => {
  it('main.bicep and the app module combine every settings object into the Function App settings', () => {
    const varValue = (f: Scanned, name: string) => statements(f).find((st) => st.kind === 'var' && st.name === name)?.rest.value ?? '';
    // optional settings are dropped when empty, so the app's own defaults apply
    const dropEmpty = (source: string) => new RegExp(`^=\\s*toObject\\(filter\\(items\\(${source}\\),\\s*(\\w+)\\s*=>\\s*!empty\\(\\1\\.value\\)\\),\\s*(\\w+)\\s*=>\\s*\\2\\.key,\\s*(\\w+)\\s*=>\\s*\\3\\.value\\)$`);
    expect(varValue(main, 'givenOptionalAppSettings')).toMatch(dropEmpty('optionalAppSettings'));
    expect(varValue(appModule, 'givenOptionalPlatformSettings')).toMatch(dropEmpty('optionalPlatformSettings'));
    expect(varValue(main, 'appSettings')).toBe('= union(requiredAppSettings, givenOptionalAppSettings, extraAppSettings)');
    // the app module receives main's appSettings
    expect(main.code).toMatch(/module\s+app\s+'modules\/app\.bicep'[\s\S]*?\bappSettings:\s*appSettings\b/);
    const config = resourcesOfType('Microsoft.Web/sites/config').filter((r) => unquote(prop(r, 'name')) === 'appsettings');
    expect(config, 'one Microsoft.Web/sites/config named appsettings').toHaveLength(1);
    // platform settings last: extraAppSettings cannot override identity, storage or secrets
    expect(prop(config[0]!, 'properties')).toBe('union(appSettings, givenOptionalPlatformSettings, platformSettings)');
    expect(prop(oneResource('Microsoft.Web/sites'), 'properties.siteConfig.appSettings')).toBeUndefined();
  });

  it('sets every setting the app requires (SETTINGS with required: true)', () => {
    const required = SETTINGS.filter((s) => s.required).map((s) => s.name);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(alwaysSet.has(name), `${name} is required by src/config.ts`).toBe(true);
  });

  it('every other setting is either provided or documented in the README settings table', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Settings'), readme.indexOf('\n## ', readme.indexOf('## Settings') + 5));
    const tableRows = section.split('\n').filter((l) => l.startsWith('|'));
    for (const { name } of SETTINGS) {
      if (alwaysSet.has(name) || setWhenGiven.has(name)) continue;
      expect(tableRows.some((row) => row.includes(`\`${name}\``)), `${name} is neither set by infra/ nor in README's settings table`).toBe(true);
    }
  });

  it('uses identity-based AzureWebJobsStorage with the user-assigned identity, and no connection string', () => {
    for (const key of ['AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__queueServiceUri', 'AzureWebJobsStorage__tableServiceUri']) {
      const service = key.replace('AzureWebJobsStorage__', '').replace('ServiceUri', '');
      expect(alwaysSet.get(key)?.value.value).toBe(`storage.properties.primaryEndpoints.${service}`);
    }
    expect(settingValue('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settingValue('AzureWebJobsStorage__clientId')).toBe('identity.properties.clientId');
    expect(settingValue('AzureWebJobsStorage')).toBeUndefined();
    expect(settingValue('AzureWebJobsStorage__accountName')).toBeUndefined();
    // The identity the clientId names is the one attached to the app.
    const site = oneResource('Microsoft.Web/sites');
    expect(unquote(prop(site, 'identity.type'))).toBe('UserAssigned');
    expect(prop(site, 'identity.userAssignedIdentities')).toContain('identity.id');
  });

  it('sets the host\'s request body limit above the app\'s largest body and far below the host default', () => {
    const limit = Number(unquote(settingValue('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT')));
    expect(limit).toBeGreaterThan(MAX_WEBHOOK_BYTES);
    expect(limit).toBeLessThanOrEqual(4 * MAX_WEBHOOK_BYTES);
    const sample = JSON.parse(read('local.settings.sample.json')) as { Values: Record<string, string> };
    expect(Number(sample.Values.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)).toBe(limit);
  });

  it('gives DefaultAzureCredential (the registry client) the same identity', () => {
    expect(settingValue('AZURE_CLIENT_ID')).toBe('identity.properties.clientId');
    expect(settingValue('AZURE_TOKEN_CREDENTIALS')).toBe("'ManagedIdentityCredential'");
  });

  it('sends telemetry to Application Insights with Microsoft Entra authentication', () => {
    expect(settingValue('APPLICATIONINSIGHTS_CONNECTION_STRING')).toBe('appInsights.properties.ConnectionString');
    expect(settingValue('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("'ClientId=${identity.properties.clientId};Authorization=AAD'");
  });

  it('derives the registry settings from the existing registry', () => {
    expect(settingValue('ALLOWED_REGISTRIES')).toContain('registry.properties.loginServer');
    expect(settingValue('ACR_SKU')).toBe('registry.sku.name');
    expect(settingValue('PUBLIC_BASE_URL')).toContain("'https://${functionApp.properties.defaultHostName}'");
    expect(settingValue('API_AUTH_LEVEL')).toBe('apiAuthLevel');
    const authParam = statements(main).find((st) => st.kind === 'param' && st.name === 'apiAuthLevel');
    expect(authParam?.rest.value).toMatch(/=\s*'function'$/);
    expect(settingValue('ALERT_RESEND_SCHEDULE')).toBe('alertResendSchedule');
  });

  it('sets the policy write auth level from its own parameter, function by default, never anonymous', () => {
    expect(alwaysSet.get('API_WRITE_AUTH_LEVEL')?.value.value).toBe('apiWriteAuthLevel');
    const param = statements(main).find((st) => st.kind === 'param' && st.name === 'apiWriteAuthLevel');
    expect(param?.rest.value).toMatch(/=\s*'function'$/);
    const decorators = param?.decorators ?? '';
    const allowed = decorators.slice(decorators.indexOf('@allowed'));
    expect(decorators).toContain('@allowed');
    expect(allowed).toMatch(/'function'/);
    expect(allowed).toMatch(/'admin'/);
    expect(allowed).not.toContain('anonymous');
    expect(parameters.parameters.apiWriteAuthLevel?.value).toBe('${API_WRITE_AUTH_LEVEL}');
  });

  it('passes the alert settle delay, the Teams timeout and the route prefixes through when given', () => {
    for (const [setting, param] of [
      ['ALERT_SETTLE_SECONDS', 'alertSettleSeconds'],
      ['TEAMS_TIMEOUT_SECONDS', 'teamsTimeoutSeconds'],
      ['TEAMS_ALLOWED_ROUTE_PREFIXES', 'teamsAllowedRoutePrefixes'],
    ] as const) {
      expect(setWhenGiven.get(setting)?.value.value, setting).toBe(param);
      expect(parameters.parameters[param]?.value, param).toBe(`\${${setting}}`);
    }
  });
});

describe('roles', () => {
  const roleVars = new Map<string, { file: string; guid: string; role: string }>();
  for (const f of files) {
    for (const m of f.code.matchAll(/^var\s+(\w+)RoleId\s*=\s*'([^']*)'/gm)) {
      const role = Object.keys(BUILT_IN_ROLES).find((r) => normalize(r) === normalize(m[1]!));
      roleVars.set(`${f.file}:${m[1]}RoleId`, { file: f.file, guid: m[2]!, role: role ?? `(unknown role "${m[1]}")` });
    }
  }

  it('every role id variable is named after a built-in role and holds that role\'s id', () => {
    expect(roleVars.size).toBeGreaterThanOrEqual(7);
    for (const [name, { guid, role }] of roleVars) {
      expect(Object.keys(BUILT_IN_ROLES), `${name} names no built-in role in the table`).toContain(role);
      expect(guid, `${name} should hold the id of ${role}`).toBe(BUILT_IN_ROLES[role]);
    }
  });

  it('no GUID appears outside those variables', () => {
    for (const f of files) {
      for (const m of f.code.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)) {
        const line = f.code.slice(f.code.lastIndexOf('\n', m.index) + 1, f.code.indexOf('\n', m.index));
        expect(line, `${f.file}: GUID ${m[0]} outside a "var <role>RoleId" declaration`).toMatch(/^var\s+\w+RoleId\s*=/);
      }
    }
  });

  const assignments = resourcesOfType('Microsoft.Authorization/roleAssignments');

  it('assigns the expected roles', () => {
    const assigned = assignments.map((a) => {
      const roleVar = /subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*(\w+)\)/.exec(prop(a, 'properties.roleDefinitionId') ?? '')?.[1];
      return `${roleVars.get(`${a.scanned.file}:${roleVar}`)?.role} -> ${prop(a, 'scope')} (${prop(a, 'properties.principalType')})`;
    });
    expect(assigned.sort()).toEqual(
      [
        "AcrPull -> registry ('ServicePrincipal')",
        "Container Registry Repository Reader -> registry ('ServicePrincipal')",
        "Key Vault Secrets User -> keyVault ('ServicePrincipal')",
        "Monitoring Metrics Publisher -> appInsights ('ServicePrincipal')",
        "Storage Blob Data Owner -> storage ('ServicePrincipal')",
        'Storage Blob Data Owner -> storage (deployerPrincipalType)',
        "Storage Queue Data Contributor -> storage ('ServicePrincipal')",
        'Storage Queue Data Contributor -> storage (deployerPrincipalType)',
        "Storage Table Data Contributor -> storage ('ServicePrincipal')",
        'Storage Table Data Contributor -> storage (deployerPrincipalType)',
      ].sort(),
    );
  });

  it.each(assignments.map((a) => [`${a.scanned.file} ${a.symbol}`, a] as const))(
    '%s: uses the role its variable and description name, and is named guid(scope, principal, role)',
    (_label, a) => {
      const roleDefinitionId = prop(a, 'properties.roleDefinitionId') ?? '';
      const roleVar = /^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*(\w+)\)$/.exec(roleDefinitionId)?.[1];
      expect(roleVar, `roleDefinitionId should be subscriptionResourceId(..., <role>RoleId), got ${roleDefinitionId}`).toBeDefined();
      const role = roleVars.get(`${a.scanned.file}:${roleVar}`);
      expect(role, `${roleVar} is not a role id variable of ${a.scanned.file}`).toBeDefined();
      expect(role!.guid).toBe(BUILT_IN_ROLES[role!.role]);
      // The description says which role this is; it must be the one the id grants.
      const description = unquote(prop(a, 'properties.description')) ?? '';
      const named = Object.keys(BUILT_IN_ROLES).filter((r) => description.startsWith(r));
      expect(named, `description "${description}" should start with the role name`).toEqual([role!.role]);
      // The symbolic name too.
      expect(normalize(a.symbol)).toContain(normalize(role!.role));

      const nameSpan = get(a.scanned, a.body, 'name')!;
      expect(nameSpan.value).toMatch(/^guid\(/);
      const [scopeArg, principalArg, roleArg, ...more] = callArgs(a.scanned, a.scanned.code.indexOf('(', nameSpan.start));
      expect(more).toEqual([]);
      const scope = prop(a, 'scope');
      expect(scopeArg).toBe(`${scope}.id`);
      expect(roleArg).toBe(roleVar);
      // The principal in the name is the principal assigned (the identity's id or the principal id itself).
      const principalId = prop(a, 'properties.principalId')!;
      expect(principalArg === principalId || `${principalArg?.replace(/\.id$/, '')}.properties.principalId` === principalId, `guid principal ${principalArg} vs principalId ${principalId}`).toBe(true);
      expect(prop(a, 'properties.principalType')).toBeDefined();
    },
  );

  it('gives the deploying user data access only when asked', () => {
    for (const a of assignments.filter((x) => prop(x, 'properties.principalId') === 'deployerPrincipalId')) {
      expect(a.condition).toBe('!empty(deployerPrincipalId)');
    }
    expect(main.code).toMatch(/deployerPrincipalId:\s*grantDeployerDataAccess\s*\?\s*principalId\s*:\s*''/);
    expect(statements(main).find((st) => st.name === 'grantDeployerDataAccess')?.rest.value).toMatch(/bool\s*=\s*true$/);
    expect(statements(main).find((st) => st.name === 'principalId')?.rest.value).toMatch(/=\s*deployer\(\)\.objectId$/);
  });
});

describe('secrets and keys', () => {
  it('secret parameters are @secure() in every file that declares them', () => {
    let seen = 0;
    for (const f of files) {
      for (const st of statements(f).filter((x) => x.kind === 'param' && ['webhookSecret', 'teamsWebhookUrl', 'webhookSecretPrevious'].includes(x.name))) {
        seen++;
        expect(st.decorators, `${f.file}: param ${st.name}`).toMatch(/@secure\(\)/);
      }
    }
    expect(seen).toBe(7); // main (3), app (3), registry (1)
  });

  it('no account keys, SAS or key-based connection strings', () => {
    const forbidden = [/listKeys\s*\(/i, /AccountKey=/i, /primaryKey/i, /secondaryKey/i, /SharedAccessSignature/i, /list(Account|Service)Sas/i, /DefaultEndpointsProtocol/i, /InstrumentationKey=/i, /\.keys\[/i, /listConnectionStrings/i];
    for (const f of files) for (const re of forbidden) expect(f.code, `${f.file} matches ${re}`).not.toMatch(re);
  });

  it('storage accepts only Microsoft Entra ID, and Application Insights only Entra-authenticated ingestion', () => {
    const storage = oneResource('Microsoft.Storage/storageAccounts');
    expect(prop(storage, 'properties.allowSharedKeyAccess')).toBe('false');
    expect(prop(storage, 'properties.allowBlobPublicAccess')).toBe('false');
    expect(unquote(prop(storage, 'properties.minimumTlsVersion'))).toBe('TLS1_2');
    const ai = oneResource('Microsoft.Insights/components');
    expect(prop(ai, 'properties.DisableLocalAuth')).toBe('true');
    expect(prop(ai, 'properties.WorkspaceResourceId')).toBe('logAnalytics.id');
  });

  it('Key Vault uses RBAC and soft delete, and purge protection is a parameter', () => {
    const kv = oneResource('Microsoft.KeyVault/vaults');
    expect(prop(kv, 'properties.enableRbacAuthorization')).toBe('true');
    expect(prop(kv, 'properties.enableSoftDelete')).toBe('true');
    expect(prop(kv, 'properties.enablePurgeProtection')).toBe('enableKeyVaultPurgeProtection ? true : null');
    const secrets = resourcesOfType('Microsoft.KeyVault/vaults/secrets');
    expect(secrets.map((s) => [prop(s, 'name'), prop(s, 'properties.value'), s.condition ?? ''])).toEqual([
      ['webhookSecretName', 'webhookSecret', ''],
      ['teamsWebhookSecretName', 'teamsWebhookUrl', '!empty(teamsWebhookUrl)'],
      ['previousWebhookSecretName', 'webhookSecretPrevious', '!empty(webhookSecretPrevious)'],
    ]);
  });

  it('secret settings are versionless Key Vault references read with the user-assigned identity', () => {
    const webhook = alwaysSet.get('WEBHOOK_SECRET')?.value.value;
    expect(webhook).toBe("'@Microsoft.KeyVault(SecretUri=${webhookSecretResource.properties.secretUri})'");
    const teams = setWhenGiven.get('TEAMS_WEBHOOK_URL')?.value.value ?? '';
    expect(teams).toMatch(/^empty\(teamsWebhookUrl\)\s*\?\s*''\s*:\s*'@Microsoft\.KeyVault\(SecretUri=\$\{keyVault\.properties\.vaultUri\}secrets\/\$\{teamsWebhookSecretName\}\)'$/);
    const previous = setWhenGiven.get('WEBHOOK_SECRET_PREVIOUS')?.value.value ?? '';
    expect(previous).toMatch(/^empty\(webhookSecretPrevious\)\s*\?\s*''\s*:\s*'@Microsoft\.KeyVault\(SecretUri=\$\{keyVault\.properties\.vaultUri\}secrets\/\$\{previousWebhookSecretName\}\)'$/);
    for (const [key, { value }] of [...alwaysSet, ...setWhenGiven]) {
      expect(value.value, key).not.toContain('secretUriWithVersion');
      // no secret parameter flows into a setting except through Key Vault
      expect(value.value.replace(/empty\((teamsWebhookUrl|webhookSecretPrevious)\)/g, ''), key).not.toMatch(/\b(webhookSecret|teamsWebhookUrl|webhookSecretPrevious)\b/);
    }
    const site = oneResource('Microsoft.Web/sites');
    expect(prop(site, 'properties.keyVaultReferenceIdentity')).toBe('identity.id');
  });

  it('main.parameters.json maps secrets to azd environment values, never literals', () => {
    for (const name of ['webhookSecret', 'teamsWebhookUrl', 'webhookSecretPrevious']) {
      expect(parameters.parameters[name]?.value, name).toMatch(/^\$\{[A-Z][A-Z0-9_]*\}$/);
    }
    for (const [name, { value }] of Object.entries(parameters.parameters)) {
      if (typeof value === 'string') expect(value, name).toMatch(/^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$/);
    }
    const declared = new Set(statements(main).filter((st) => st.kind === 'param').map((st) => st.name));
    for (const name of Object.keys(parameters.parameters)) expect(declared.has(name), `${name} is not a parameter of main.bicep`).toBe(true);
    for (const st of statements(main).filter((x) => x.kind === 'param' && !/=/.test(x.rest.value))) {
      expect(parameters.parameters[st.name], `required parameter ${st.name} is not mapped`).toBeDefined();
    }
    const extra = parameters.parameters.extraAppSettings?.value as Record<string, unknown>;
    for (const key of Object.keys(extra ?? {})) expect(FLEX_REJECTED_SETTINGS).not.toContain(key);
  });

  it('outputs carry no secret', () => {
    for (const st of statements(main).filter((x) => x.kind === 'output')) {
      expect(st.rest.value, st.name).not.toMatch(/webhookSecret|teamsWebhookUrl|ConnectionString|secretUri/i);
    }
  });
});

describe('registry delivery', () => {
  it('the ACR webhook sends push and delete to /api/webhooks/acr with the Bearer secret', () => {
    const hook = oneResource('Microsoft.ContainerRegistry/registries/webhooks');
    expect(hook.condition).toBe('createWebhook');
    expect(arrayItems(hook.scanned, get(hook.scanned, hook.body, 'properties.actions')!).sort()).toEqual(["'delete'", "'push'"]);
    expect(prop(hook, 'properties.serviceUri')).toMatch(/\/api\/webhooks\/acr'$/);
    expect(prop(hook, 'properties.customHeaders.Authorization')).toBe("'Bearer ${webhookSecret}'");
    expect(unquote(prop(hook, 'properties.status'))).toBe('enabled');
    expect(prop(hook, 'properties.scope')).toBe("''");
    expect(prop(hook, 'location')).toBe('registry.location');
    // the registry is referenced, never created
    for (const r of resourcesOfType('Microsoft.ContainerRegistry/registries')) expect(r.scanned.code.slice(r.body.start - 60, r.body.start)).toContain('existing');
  });

  it('the registry module runs in the registry\'s resource group', () => {
    expect(main.code).toMatch(/module\s+registryAccess\s+'modules\/registry\.bicep'\s*=\s*\{[\s\S]*?scope:\s*resourceGroup\(registryResourceGroupName\)/);
    expect(main.code).toMatch(/createWebhook:\s*createRegistryWebhook\s*&&\s*\(!useEventGrid\s*\|\|\s*keepRegistryWebhookWithEventGrid\)/);
    expect(statements(main).find((st) => st.name === 'useEventGrid')?.rest.value).toMatch(/bool\s*=\s*false$/);
    expect(statements(main).find((st) => st.name === 'createRegistryWebhook')?.rest.value).toMatch(/bool\s*=\s*true$/);
  });

  it('the Event Grid subscription delivers ImagePushed/ImageDeleted to /api/webhooks/eventgrid with a secret header and 24 h of retries', () => {
    const topic = oneResource('Microsoft.EventGrid/systemTopics');
    expect(topic.condition).toBe('useEventGrid');
    expect(unquote(prop(topic, 'properties.topicType'))).toBe('Microsoft.ContainerRegistry.Registries');
    expect(prop(topic, 'properties.source')).toBe('registry.id');
    expect(prop(topic, 'location')).toBe('registry.location');
    const sub = oneResource('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(sub.condition).toBe('useEventGrid');
    expect(unquote(prop(sub, 'properties.destination.endpointType'))).toBe('WebHook');
    expect(prop(sub, 'properties.destination.properties.endpointUrl')).toMatch(/\/api\/webhooks\/eventgrid'$/);
    const mappings = get(sub.scanned, sub.body, 'properties.destination.properties.deliveryAttributeMappings')!;
    const [mapping, ...others] = arrayItems(sub.scanned, mappings);
    expect(others).toEqual([]);
    const m = scan('mapping', `var m = ${mapping}\n`);
    expect(unquote(get(m, varObjectSpan(m), 'name')?.value)).toBe('Authorization');
    expect(unquote(get(m, varObjectSpan(m), 'type')?.value)).toBe('Static');
    expect(get(m, varObjectSpan(m), 'properties.value')?.value).toBe("'Bearer ${webhookSecret}'");
    expect(get(m, varObjectSpan(m), 'properties.isSecret')?.value).toBe('true');
    expect(arrayItems(sub.scanned, get(sub.scanned, sub.body, 'properties.filter.includedEventTypes')!).sort()).toEqual([
      "'Microsoft.ContainerRegistry.ImageDeleted'",
      "'Microsoft.ContainerRegistry.ImagePushed'",
    ]);
    expect(unquote(prop(sub, 'properties.eventDeliverySchema'))).toBe('EventGridSchema');
    expect(prop(sub, 'properties.retryPolicy.maxDeliveryAttempts')).toBe('30');
    expect(prop(sub, 'properties.retryPolicy.eventTimeToLiveInMinutes')).toBe('1440');
  });
});

function varObjectSpan(s: Scanned): Span {
  const open = s.shape.indexOf('{');
  return span(s, open, closing(s, open) + 1);
}

describe('Flex Consumption', () => {
  it('plan FC1, Linux Function App on Node 22, deployment package read with the user-assigned identity', () => {
    const plan = oneResource('Microsoft.Web/serverfarms');
    expect(unquote(prop(plan, 'sku.name'))).toBe('FC1');
    expect(unquote(prop(plan, 'sku.tier'))).toBe('FlexConsumption');
    expect(prop(plan, 'properties.reserved')).toBe('true');
    const site = oneResource('Microsoft.Web/sites');
    expect(unquote(prop(site, 'kind'))).toBe('functionapp,linux');
    expect(unquote(prop(site, 'properties.functionAppConfig.runtime.name'))).toBe('node');
    const version = unquote(prop(site, 'properties.functionAppConfig.runtime.version'))!;
    expect(version).toBe('22');
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(Number(version)).toBeGreaterThanOrEqual(Number(/(\d+)/.exec(engines)![1]));
    expect(unquote(prop(site, 'properties.functionAppConfig.deployment.storage.type'))).toBe('blobContainer');
    expect(unquote(prop(site, 'properties.functionAppConfig.deployment.storage.authentication.type'))).toBe('UserAssignedIdentity');
    expect(prop(site, 'properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId')).toBe('identity.id');
    expect(prop(site, 'properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB')).toBe('instanceMemoryMB');
    expect(statements(main).find((st) => st.name === 'instanceMemoryMB')?.rest.value).toMatch(/=\s*2048$/);
    expect(prop(site, 'properties.httpsOnly')).toBe('true');
    expect(unquote(prop(site, 'properties.siteConfig.minTlsVersion'))).toBe('1.2');
    expect(unquote(prop(site, 'properties.siteConfig.ftpsState'))).toBe('Disabled');
    expect(prop(site, 'properties.siteConfig.appSettings')).toBeUndefined();
  });

  it('sets none of the settings Flex Consumption rejects', () => {
    for (const key of [...alwaysSet.keys(), ...setWhenGiven.keys()]) expect(FLEX_REJECTED_SETTINGS, key).not.toContain(key);
    for (const f of files) for (const key of FLEX_REJECTED_SETTINGS.filter((k) => k !== 'TZ' && k !== 'AzureWebJobsStorage')) expect(f.code, `${f.file}: ${key}`).not.toContain(key);
  });

  it('tags the Function App for azd service "api" from azure.yaml', () => {
    const site = oneResource('Microsoft.Web/sites');
    expect(prop(site, 'tags')).toMatch(/'azd-service-name':\s*'api'/);
    const yaml = read('azure.yaml');
    expect(yaml).toMatch(/^services:\n {2}api:\n(?: {4}.*\n|\s*#.*\n)*? {4}host: function\n/m);
    expect(yaml).toMatch(/^ {4}language: (ts|js)$/m);
    expect(yaml).toMatch(/^ {4}project: \.$/m);
  });

  it('outputs what azd and the docs use', () => {
    const outputs = statements(main).filter((st) => st.kind === 'output').map((st) => st.name);
    for (const name of ['AZURE_LOCATION', 'AZURE_TENANT_ID', 'AZURE_FUNCTION_NAME', 'SERVICE_API_NAME', 'SERVICE_API_URI', 'AZURE_STORAGE_ACCOUNT_NAME', 'AZURE_KEY_VAULT_NAME', 'WEBHOOK_URL']) {
      expect(outputs).toContain(name);
    }
  });
});

describe('routes the infrastructure calls', () => {
  const functionsDir = path.join(ROOT, 'src/functions');
  const registrations = fs.readdirSync(functionsDir).flatMap((f) => {
    const text = fs.readFileSync(path.join(functionsDir, f), 'utf8');
    return [...text.matchAll(/app\.http\(\s*'([^']+)'\s*,\s*\{([\s\S]*?)\n\}\);/g)].map((m) => ({
      file: f,
      name: m[1]!,
      route: /route:\s*'([^']+)'/.exec(m[2]!)?.[1],
      authLevel: /authLevel:\s*'([^']+)'/.exec(m[2]!)?.[1],
    }));
  });
  const routePrefix = (JSON.parse(read('host.json')) as { extensions: { http: { routePrefix: string } } }).extensions.http.routePrefix;
  const referenced = [...new Set(files.flatMap((f) => [...f.code.matchAll(/\/api\/([\w/-]+)'/g)].map((m) => m[1]!)))];

  it('host.json serves HTTP functions under /api', () => {
    expect(routePrefix).toBe('api');
    expect(referenced.sort()).toEqual(['webhooks/acr', 'webhooks/eventgrid']);
  });

  it('/api/webhooks/acr is registered, anonymous at the Functions level (the Bearer secret protects it)', () => {
    const r = registrations.find((x) => x.route === 'webhooks/acr');
    expect(r, 'no app.http registration with route webhooks/acr').toBeDefined();
    expect(r!.authLevel).toBe('anonymous');
  });

  const eventGrid = registrations.find((x) => x.route === 'webhooks/eventgrid');
  it.skipIf(!eventGrid)(
    `/api/webhooks/eventgrid is registered and anonymous${eventGrid ? '' : ' (SKIPPED: no file in src/functions registers route webhooks/eventgrid yet)'}`,
    () => {
      expect(eventGrid!.authLevel).toBe('anonymous');
    },
  );
});

describe('packaging', () => {
  it('package.json main points into dist/ and tsconfig.json compiles to dist', () => {
    expect((JSON.parse(read('package.json')) as { main: string }).main).toMatch(/^dist\//);
    expect((JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir).toBe('dist');
  });

  it('azure.yaml uploads dist/deploy as built here: no remote build, and no .funcignore that would ask for one', () => {
    const yaml = read('azure.yaml');
    expect(yaml).toMatch(/^ {4}dist: dist\/deploy$/m);
    expect(yaml).toMatch(/^ {4}remoteBuild: false$/m);
    // azd refuses remoteBuild: false when the project's .funcignore leaves node_modules out; older azd chooses a remote build from it.
    expect(fs.existsSync(path.join(ROOT, '.funcignore'))).toBe(false);
    // azd runs `npm run build` before it packages: that build has to produce dist/deploy.
    expect((JSON.parse(read('package.json')) as { scripts: { build: string } }).scripts.build).toMatch(/scripts\/build-deploy\.mjs/);
    expect(read('scripts/build-deploy.mjs')).toMatch(/'dist', 'deploy'/);
  });

  it('azure.yaml refuses azd down, which would delete the registry\'s resource group', () => {
    const yaml = read('azure.yaml');
    expect(yaml).toMatch(/^ {2}predown:\n/m);
    expect((yaml.match(/exit 1/g) ?? []).length).toBe(2);
  });
});

describe('layer file indexes (content analysis)', () => {
  it('declares the private blob container the app writes them to, in the storage account its identity owns blob data of', () => {
    const app = read('infra/modules/app.bicep');
    const blobService = /resource blobService 'blobServices' = \{([\s\S]*?)\n {2}\}\n\}/.exec(app)?.[1] ?? '';
    const container = /resource layerIndexContainer 'containers' = \{\s*name: '([^']+)'\s*properties: \{\s*publicAccess: '(\w+)'/.exec(blobService);
    expect(container?.[1]).toBe(LAYER_INDEX_CONTAINER);
    expect(container?.[2]).toBe('None');
    // The app's identity writes and reads them (and creates the container on Azurite): Storage Blob Data Owner on the account.
    expect(app).toMatch(/resource storageBlobDataOwnerForApp[\s\S]*?scope: storage[\s\S]*?principalId: identity\.properties\.principalId/);
  });
});
