import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertView } from '../../src/core/alert';
import { MIN_MESSAGE_BYTES, TEAMS_MESSAGE_LIMIT_BYTES, alertMessage, buildAlertCard, escapeMarkdown, messageBytes, teamsMessage } from '../../src/core/card';
import { formatBytes, formatDeltaSeconds, formatSeconds, formatStep, shortDigest, shorten } from '../../src/core/format';
import type { StepDelta } from '../../src/core/layerDiff';
import { digestOf, firstPushBudgetAlert, improvementAlert, pathologicalAlert, regressionAlert } from '../support/sampleAlerts';

// The package's `lib` entry is ESM without file extensions, which Node cannot load; the UMD bundle needs no DOM to parse.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the ESM entry cannot be imported (above)
const AC = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

type Json = Record<string, unknown>;

function parse(content: Json) {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(content, context);
  return {
    card,
    parseEvents: Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message),
    validationEvents: card.validateProperties().validationEvents.map((e) => e.message),
  };
}

/** Every object in the card, depth first, in reading order. */
function nodes(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(nodes);
  if (value && typeof value === 'object') {
    const o = value as Json;
    return [o, ...Object.values(o).flatMap(nodes)];
  }
  return [];
}

const unescape = (s: string) => s.replace(/\\([!-/:-@[-`{-~])/g, '$1');

/** Text as a reader sees it: markdown escapes resolved, one line per text, title or fact. */
function visible(content: Json): string[] {
  return nodes(content).flatMap((n) => {
    if (n.type === 'TextBlock') return [unescape(n.text as string)];
    if ('title' in n && 'value' in n) return [`${unescape(n.title as string)}: ${unescape(n.value as string)}`];
    return [];
  });
}

const textBlocks = (content: Json) => nodes(content).filter((n) => n.type === 'TextBlock');
const facts = (content: Json) =>
  Object.fromEntries(
    nodes(content)
      .filter((n) => 'title' in n && 'value' in n && !('type' in n))
      .map((f) => [f.title as string, f.value as string]),
  );

/** The monospace step or layer texts of the section under `heading`. */
function section(content: Json, heading: RegExp): { label: string; figure: string }[] {
  const body = content.body as Json[];
  const start = body.findIndex((e) => e.type === 'TextBlock' && heading.test(e.text as string));
  if (start < 0) return [];
  const rows: { label: string; figure: string }[] = [];
  for (const e of body.slice(start + 1)) {
    if (e.type !== 'ColumnSet') break;
    const [left, right] = e.columns as Json[];
    rows.push({ label: unescape((left!.items as Json[])[0]!.text as string), figure: (right!.items as Json[])[0]!.text as string });
  }
  return rows;
}

function expectCleanCard(content: Json) {
  const { card, parseEvents, validationEvents } = parse(content);
  expect(parseEvents).toEqual([]);
  expect(validationEvents).toEqual([]);
  for (const t of textBlocks(content)) expect(t.wrap).toBe(true);
  // The renderer's serialisation keeps every element and text: nothing was dropped as unknown.
  const shape = (c: Json) => nodes(c.body).map((n) => JSON.stringify([n.type ?? '', n.text ?? n.value ?? '']));
  expect(shape(card.toJSON() as Json)).toEqual(shape(content));
  return card;
}

const FIXTURES: [string, () => AlertView][] = [
  ['regression', regressionAlert],
  ['improvement', improvementAlert],
  ['first push over budget', firstPushBudgetAlert],
  ['pathological', pathologicalAlert],
];

describe('alert card structure', () => {
  it.each(FIXTURES)('%s: parses with the Adaptive Cards renderer without errors or warnings', (_name, fixture) => {
    const content = buildAlertCard(fixture());
    expect(content).toMatchObject({
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.5',
      msteams: { width: 'Full' },
    });
    expectCleanCard(content);
  });

  it.each(FIXTURES)('%s: uses only elements Teams renders, and no markdown but escapes', (_name, fixture) => {
    const content = buildAlertCard(fixture());
    const types = new Set(
      nodes(content.body)
        .map((n) => n.type)
        .filter((t) => t !== undefined),
    );
    for (const t of types) expect(['TextBlock', 'FactSet', 'ColumnSet', 'Column', 'Container']).toContain(t);
    for (const t of textBlocks(content)) expect(t.text).not.toMatch(/(?<!\\)\*\*|(?<!\\)\]\(/);
  });

  it('wraps the card in the Teams Workflows message envelope', () => {
    const content = buildAlertCard(regressionAlert());
    expect(teamsMessage(content)).toEqual({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
    });
  });
});

describe('regression card', () => {
  const view = regressionAlert();
  const content = buildAlertCard(view);
  const text = visible(content);

  it('has an attention headline with the image name', () => {
    const header = (content.body as Json[])[0]!;
    expect(header).toMatchObject({ type: 'Container', style: 'attention' });
    expect((header.items as Json[])[0]).toMatchObject({ text: 'Image size regression: shop/api:v2', color: 'Attention', weight: 'Bolder' });
  });

  it('names the image in facts, digests short', () => {
    expect(facts(content)).toMatchObject({
      Registry: 'contosoprod.azurecr.io',
      Repository: 'shop/api',
      Tag: 'v2',
      Platform: 'linux/amd64',
      Digest: shortDigest(view.digest),
      'Index digest': shortDigest(view.indexDigest!),
      Baseline: `v1 (${shortDigest(view.baseline!.digest)})`,
      Pushed: '2026-11-20 12:01 UTC',
    });
  });

  it('shows the size before → after with delta and percent', () => {
    expect(text).toContain(`${formatBytes(view.baseline!.sizeBytes)} → ${formatBytes(view.sizeBytes)}`);
    expect(text).toContain('+291 MiB, +219%');
  });

  it('lists every rule that fired', () => {
    expect(view.findings.map((f) => f.rule)).toEqual(['growth', 'largeLayer', 'coldStart']);
    for (const f of view.findings) expect(text).toContain(`• ${f.summary}`);
  });

  it('lists the steps that grew most, largest first, shortened, with before → after', () => {
    const rows = section(content, /^Dockerfile steps that grew most/);
    const expected = view.steps
      .filter((s) => s.deltaBytes > 0)
      .sort((a, b) => b.deltaBytes - a.deltaBytes)
      .slice(0, 5);
    expect(rows.map((r) => r.label)).toEqual(expected.map((s) => shorten(formatStep(s.step), 80)));
    expect(rows[0]!.label).toMatch(/^RUN apt-get update && apt-get install -y python3 make g\+\+ imagemagick/);
    expect(rows[0]!.label).toHaveLength(80);
    expect(rows.map((r) => r.label).slice(1, 3)).toEqual(['RUN npm ci', 'COPY . .']);
    expect(rows[0]!.figure).toBe('+179 MiB');
    expect(text).toContain('3.0 MiB → 36.8 MiB');
    expect(text).toContain('Dockerfile steps that grew most (5 of 6)');
    expect(text.some((t) => /^… and 1 more step, \+/.test(t))).toBe(true);
  });

  it('lists the largest new layers', () => {
    const rows = section(content, /^Largest new layers/);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({ label: expect.stringMatching(/^RUN apt-get update/), figure: '179 MiB' });
  });

  it('says whether the base changed', () => {
    expect(text).toContain('Unchanged: the first 6 layers are identical, covering the base (5 layers)');
  });

  it('shows the monthly storage cost change and the push marginal cost within the included storage', () => {
    expect(facts(content)['Image storage']).toMatch(/^0\.01 USD → 0\.04 USD \(\+0\.0\d USD\)$/);
    expect(facts(content)['Added by this push']).toBe('0.00 USD: within included storage');
    expect(text).toContain(view.cost.note);
  });

  it('shows cold start and restart estimates for ACI, App Service and AKS', () => {
    const p = view.pull!;
    expect(facts(content)).toMatchObject({
      'ACI cold start': `${formatSeconds(p.aci.coldStartSeconds)} (${formatDeltaSeconds(p.aci.coldStartDeltaSeconds!)})`,
      'App Service cold start': `${formatSeconds(p.appService.coldStartSeconds)} (${formatDeltaSeconds(p.appService.coldStartDeltaSeconds!)})`,
      'App Service restart': formatSeconds(p.appService.restartSeconds),
      'AKS new node': `${formatSeconds(p.aks.coldStartSeconds)} (${formatDeltaSeconds(p.aks.coldStartDeltaSeconds!)})`,
      'AKS warm node': formatSeconds(p.aks.warmNodeSeconds),
    });
  });

  it('gives advice that names the steps, with the shell glob escaped for Teams', () => {
    expect(text).toContain('What to try');
    expect(text.some((t) => t.startsWith('• “RUN apt-get update') && t.includes('rm -rf /var/lib/apt/lists/*'))).toBe(true);
    expect(JSON.stringify(content)).toContain('rm -rf /var/lib/apt/lists/\\\\*');
  });

  it('links to the comparison', () => {
    expect(content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the comparison', url: view.compareUrl }]);
  });
});

describe('improvement card', () => {
  const view = improvementAlert();
  const content = buildAlertCard(view);
  const text = visible(content);

  it('has a good headline and the shrink in green', () => {
    expect((content.body as Json[])[0]).toMatchObject({ style: 'good' });
    expect(textBlocks(content)[0]).toMatchObject({ text: 'Image got smaller: shop/web:v3', color: 'Good' });
    expect(textBlocks(content).find((t) => t.text === '−496 MiB, −98%')).toMatchObject({ color: 'Good' });
  });

  it('lists the steps that shrank most, removed ones first by size', () => {
    const rows = section(content, /^Dockerfile steps that shrank most/);
    expect(rows[0]).toEqual({ label: expect.stringMatching(/^RUN CGO_ENABLED=0 go build/), figure: '−132 MiB' });
    const figures = view.steps.filter((s) => s.deltaBytes < 0).sort((a, b) => a.deltaBytes - b.deltaBytes);
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.label)).toEqual(figures.slice(0, 5).map((s) => shorten(formatStep(s.step), 80)));
    expect(text).toContain('removed, was 132 MiB');
  });

  it('reports the changed base without alarm, and praises the change', () => {
    const base = textBlocks(content).find((t) => String(t.text).startsWith('Changed:'));
    expect(base).toBeDefined();
    expect(base!.color).toBeUndefined();
    expect(text.some((t) => t.includes('looks like a multi-stage build or a slimmer base. Nice.'))).toBe(true);
  });

  it('shows the cost going down and negative cold start changes', () => {
    expect(facts(content)['Image storage']).toMatch(/ → .*\(−0\.0\d+ USD\)$/);
    expect(facts(content)['ACI cold start']).toMatch(/\(−\d+\.\d s\)$/);
  });
});

describe('cost line', () => {
  it('rounds before, after and the change alike, so the figures add up', () => {
    const view = improvementAlert();
    const content = buildAlertCard({ ...view, cost: { ...view.cost, monthlyBefore: 0.0142, monthlyAfter: 0.0043 } });
    expect(facts(content)['Image storage']).toBe('0.0142 USD → 0.0043 USD (−0.0099 USD)');
  });
});

describe('first-push budget card', () => {
  const view = firstPushBudgetAlert();
  const content = buildAlertCard(view);
  const text = visible(content);

  it('says the image is over budget, with only its size', () => {
    expect(view.baseline).toBeUndefined();
    expect(textBlocks(content)[0]!.text).toBe('Image over its size budget: ml/inference:1.0.0');
    expect(text).toContain('1.7 GiB');
    expect(text).toContain('First push: no earlier image to compare with');
    expect(text.some((t) => / → /.test(t) && /GiB|MiB/.test(t))).toBe(false);
    expect(facts(content).Baseline).toBe('none: nothing earlier to compare with');
    expect(facts(content)['Index digest']).toBeUndefined();
  });

  it('lists the largest layers instead of steps, and the budget rule', () => {
    expect(section(content, /^Dockerfile steps/)).toEqual([]);
    const rows = section(content, /^Largest layers \(5 of 10\)/);
    expect(rows.map((r) => r.figure)).toEqual(['1.2 GiB', '304 MiB', '91.9 MiB', '27.8 MiB', '14.2 MiB']);
    expect(text).toContain(`• ${view.findings[0]!.summary}`);
  });

  it('shows the cost after only, billed, and cold starts without deltas', () => {
    expect(facts(content)['Image storage']).toBe('0.15 USD');
    expect(facts(content)['Added by this push']).toBe('0.15 USD');
    expect(facts(content)['ACI cold start']).toBe(formatSeconds(view.pull!.aci.coldStartSeconds));
    expect(text.some((t) => t.startsWith('Base image'))).toBe(false);
  });

  it('has no actions without a compare link', () => {
    expect(content).not.toHaveProperty('actions');
  });
});

describe('pathological card', () => {
  const view = pathologicalAlert();

  it('keeps 300 layers and 5,000-character steps to a few shortened rows', () => {
    expect(view.addedLayers).toHaveLength(299);
    expect(view.steps.length).toBeGreaterThanOrEqual(300);
    expect(view.steps.every((s) => s.step.length === 5000 || s.step.startsWith('Apply') || s.step.startsWith('Install'))).toBe(true);
    const content = buildAlertCard(view);
    const rows = section(content, /^Dockerfile steps that grew most \(5 of 29\d\)/);
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(r.label.length).toBeLessThanOrEqual(80);
    expect(visible(content)).toContain('foreign layer: served from outside the registry, still pulled by every client');
    expect(textBlocks(content).find((t) => String(t.text).startsWith('Changed:'))).toMatchObject({ color: 'Warning' });
  });

  it('escapes the markdown in the steps', () => {
    const content = buildAlertCard(view);
    const step = section(content, /^Dockerfile steps/).find((r) => r.label.startsWith('cmd '))!;
    const raw = nodes(content).find((n) => n.type === 'TextBlock' && String(n.text).startsWith('cmd '))!.text as string;
    expect(step.label).toContain('C:\\temp\\*_cache_*');
    expect(raw).toContain('\\*\\_cache\\_\\*');
  });

  it('fits the Teams limit', () => {
    const result = alertMessage(view);
    expect(result.bytes).toBeLessThanOrEqual(TEAMS_MESSAGE_LIMIT_BYTES);
    expect(result.bytes).toBe(messageBytes(result.message));
    expectCleanCard(result.message.attachments[0].content);
  });

  it('is trimmed to the Teams limit when every text is at its maximum and costly to encode', () => {
    // A control character is 6 bytes of JSON (\u0001): the most a character can cost.
    const costly = (n: number) => '\u0001'.repeat(n);
    const worst: AlertView = {
      ...view,
      registry: costly(63),
      repository: costly(255),
      tag: costly(128),
      platform: costly(40),
      pushedAt: costly(40),
      baseline: { ...view.baseline!, tag: costly(128) },
      findings: [...view.findings, ...view.findings].slice(0, 5).map((f) => ({ ...f, summary: costly(400) })),
      base: { ...view.base!, reason: costly(400) },
      cost: { ...view.cost, currency: costly(10), note: costly(400) },
      steps: view.steps.map((s) => ({ ...s, step: costly(5000) })),
      addedLayers: view.addedLayers.map((l) => ({ ...l, createdBy: costly(5000) })),
    };
    expect(messageBytes(teamsMessage(buildAlertCard(worst)))).toBeGreaterThan(TEAMS_MESSAGE_LIMIT_BYTES);
    const result = alertMessage(worst);
    expect(result.trimmed).toBe(true);
    expect(result.bytes).toBeLessThanOrEqual(TEAMS_MESSAGE_LIMIT_BYTES);
    const content = expectCleanCard(result.message.attachments[0].content);
    expect(content).toBeDefined();
    expect(facts(result.message.attachments[0].content).Digest).toBe(shortDigest(view.digest));
  });

  it('is trimmed, digests kept, when the limit is tight', () => {
    for (const limit of [8_000, 6_000, 4_000, 3_000, MIN_MESSAGE_BYTES]) {
      const result = alertMessage(view, limit);
      expect(result.trimmed).toBe(true);
      expect(result.bytes).toBeLessThanOrEqual(limit);
      const content = result.message.attachments[0].content;
      expectCleanCard(content);
      expect(facts(content).Digest).toBe(shortDigest(view.digest));
      expect(visible(content).some((t) => t.startsWith('Details were left out to fit a Teams message'))).toBe(true);
    }
  });
});

describe('alertMessage', () => {
  it('leaves a normal alert untrimmed', () => {
    for (const fixture of [regressionAlert, improvementAlert, firstPushBudgetAlert]) {
      const view = fixture();
      const result = alertMessage(view);
      expect(result.trimmed).toBe(false);
      expect(result.message.attachments[0].content).toEqual(buildAlertCard(view));
      expect(result.bytes).toBe(new TextEncoder().encode(JSON.stringify(result.message)).length);
    }
  });

  it('cuts lists before text as the limit shrinks', () => {
    const view = regressionAlert();
    const full = alertMessage(view).bytes;
    let previousRows = Infinity;
    for (let limit = full - 1; limit >= MIN_MESSAGE_BYTES; limit -= 400) {
      const { message, bytes, trimmed } = alertMessage(view, limit);
      expect(trimmed).toBe(true);
      expect(bytes).toBeLessThanOrEqual(limit);
      const rows = section(message.attachments[0].content, /^Dockerfile steps/).length;
      expect(rows).toBeLessThanOrEqual(previousRows);
      previousRows = rows;
    }
  });

  it('shows fewer rows when asked to', () => {
    const content = buildAlertCard(regressionAlert(), { steps: 2, layers: 1 });
    expect(section(content, /^Dockerfile steps that grew most \(2 of 6\)/)).toHaveLength(2);
    expect(section(content, /^Largest new layers \(1 of 6\)/)).toHaveLength(1);
    expect(visible(content).some((t) => /^… and 4 more steps, \+/.test(t))).toBe(true);
    expect(section(buildAlertCard(regressionAlert(), { textChars: 20 }), /^Dockerfile steps/)[0]!.label).toHaveLength(20);
  });

  it('fits the minimum even with malformed digests and names JSON spells in 6 bytes a character', () => {
    const c = (n: number) => '\u0001'.repeat(n);
    const v = pathologicalAlert();
    const absurd: AlertView = { ...v, registry: c(63), repository: c(255), tag: c(128), platform: c(40), digest: c(500), indexDigest: c(500) };
    const result = alertMessage({ ...absurd, findings: v.findings.map((f) => ({ ...f, summary: c(400) })) }, MIN_MESSAGE_BYTES);
    expect(result.bytes).toBeLessThanOrEqual(MIN_MESSAGE_BYTES);
    expect(parse(result.message.attachments[0].content).parseEvents).toEqual([]);
  });

  it('refuses a limit no alert fits in', () => {
    expect(() => alertMessage(regressionAlert(), MIN_MESSAGE_BYTES - 1)).toThrow(RangeError);
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['rm -rf /var/lib/apt/lists/*', 'rm -rf /var/lib/apt/lists/\\*'],
    ['**bold**', '\\*\\*bold\\*\\*'],
    ['NODE_ENV=production PIP_NO_CACHE_DIR=1', 'NODE_ENV=production PIP_NO_CACHE_DIR=1'],
    ['_x_ and __init__', '\\_x\\_ and \\_\\_init\\_\\_'],
    ['see [docs](https://example.com)', 'see \\[docs](https://example.com)'],
    ['CMD ["node", "server.js"]', 'CMD ["node", "server.js"]'],
    ['- not a list', '\\- not a list'],
    ['1. not a list', '1\\. not a list'],
    ['echo \\"quoted\\" C:\\temp', 'echo \\\\"quoted\\\\" C:\\temp'],
  ])('%s', (input, output) => {
    expect(escapeMarkdown(input)).toBe(output);
  });
});

describe('alertMessage on random views (property)', () => {
  /** Characters that cost the most bytes once markdown-escaped, JSON-encoded and UTF-8-encoded. */
  const costly = fc.constantFrom('*', '_', '\\', '"', '[', '](', '\u0001', '😀', 'ß', 'a', ' ');
  const text = (max: number) =>
    fc
      .tuple(
        fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.string({ unit: costly, minLength: 1, maxLength: 40 })),
        fc.oneof(fc.nat(max), fc.constant(max)),
      )
      .map(([s, n]) => s.repeat(Math.ceil(n / s.length) + 1).slice(0, n));
  const step: fc.Arbitrary<StepDelta> = fc
    .record({
      step: text(6000),
      change: fc.constantFrom<StepDelta['change']>('added', 'removed', 'changed', 'unchanged'),
      before: fc.nat(2 ** 31),
      after: fc.nat(2 ** 31),
    })
    .map(({ step: s, change, before, after }) => ({ step: s, change, beforeBytes: before, afterBytes: after, deltaBytes: after - before }));
  const layer = fc.record({ createdBy: text(6000), size: fc.nat(2 ** 32), foreign: fc.boolean(), seed: fc.nat() }).map((l) => ({
    digest: digestOf(String(l.seed)),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    sizeBytes: l.size,
    foreign: l.foreign,
    ...(l.createdBy ? { createdBy: l.createdBy } : {}),
  }));
  const view: fc.Arbitrary<AlertView> = fc
    .record({
      kind: fc.constantFrom<AlertView['kind']>('regression', 'improvement'),
      registry: text(63),
      repository: text(255),
      tag: text(128),
      steps: fc.array(step, { maxLength: 350, size: 'max' }),
      layers: fc.array(layer, { maxLength: 320, size: 'max' }),
      baseline: fc.option(fc.nat(2 ** 40), { nil: undefined }),
      summaries: fc.array(text(400), { maxLength: 6, size: 'max' }),
      reason: text(400),
      note: text(400),
      url: fc.option(
        fc.string({ unit: 'grapheme', maxLength: 1000 }).map((s) => `https://example.com/api/compare?q=${encodeURIComponent(s)}`),
        { nil: undefined },
      ),
    })
    .map((r) => ({
      kind: r.kind,
      registry: r.registry,
      repository: r.repository,
      tag: r.tag,
      platform: 'linux/amd64',
      digest: digestOf(r.repository),
      indexDigest: digestOf(r.tag),
      pushedAt: '2026-11-20T12:01:07Z',
      sizeBytes: 123_456_789,
      ...(r.baseline !== undefined ? { baseline: { digest: digestOf('base'), tag: r.tag, sizeBytes: r.baseline } } : {}),
      findings: r.summaries.map((summary) => ({ rule: 'growth' as const, kind: r.kind, summary, observed: 1, threshold: 1 })),
      steps: r.steps,
      addedLayers: r.layers,
      base: { commonPrefixLayers: 1, commonPrefixBytes: 1, baseLayers: 2, changed: r.steps.length % 2 === 0, reason: r.reason },
      cost: {
        currency: 'USD',
        monthlyBefore: r.baseline === undefined ? null : 0.5,
        monthlyAfter: 0.7,
        pushMarginalMonthly: 0,
        withinIncluded: true,
        note: r.note,
      },
      pull: {
        aci: { coldStartSeconds: 40, coldStartDeltaSeconds: 3 },
        appService: { coldStartSeconds: 50, restartSeconds: 35, coldStartDeltaSeconds: null },
        aks: { coldStartSeconds: 12, warmNodeSeconds: 4, coldStartDeltaSeconds: -1, serialImagePulls: true },
      },
      ...(r.url ? { compareUrl: r.url } : {}),
    }));

  it('always fits 28,000 bytes and parses cleanly', () => {
    fc.assert(
      fc.property(view, (v) => {
        const result = alertMessage(v);
        expect(result.bytes).toBeLessThanOrEqual(TEAMS_MESSAGE_LIMIT_BYTES);
        expect(result.bytes).toBe(messageBytes(result.message));
        const content = expectCleanCard(result.message.attachments[0].content);
        expect(content).toBeDefined();
        expect(facts(result.message.attachments[0].content).Digest).toBe(shortDigest(v.digest));
      }),
      { numRuns: 60 },
    );
  });

  it('fits any limit from the minimum up', () => {
    fc.assert(
      fc.property(view, fc.integer({ min: MIN_MESSAGE_BYTES, max: TEAMS_MESSAGE_LIMIT_BYTES }), (v, limit) => {
        const { message, bytes } = alertMessage(v, limit);
        expect(bytes).toBeLessThanOrEqual(limit);
        expect(parse(message.attachments[0].content).parseEvents).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('what is inside the image', () => {
  const advice =
    'gcc and its support files (187 MiB on disk, 59.8 MiB compressed) were added by `RUN apt-get install -y build-essential` and are in the final image; a multi-stage build that copies only the build output would drop them: −59.8 MiB per pull, −0.0053 USD/month storage, −2.0 s ACI cold start.';
  const withContent = (): AlertView => ({
    ...regressionAlert(),
    content: {
      status: 'done',
      complete: true,
      onDiskBytes: 412 * 1024 * 1024,
      wastedBytes: 31 * 1024 * 1024,
      efficiency: 0.874,
      findings: [{ label: 'gcc and its support files', advice }],
      grown: [{ path: '/usr/lib/gcc', deltaBytes: 180 * 1024 * 1024, step: 'RUN apt-get install -y build-essential' }],
    },
  });

  it('shows the figures, what grew with its step, and the findings with their advice; the card stays clean', () => {
    const content = buildAlertCard(withContent());
    expectCleanCard(content);
    const text = textBlocks(content).map((t) => unescape(t.text as string));
    expect(text).toEqual(expect.arrayContaining(['What is inside', 'Grew most', 'Does not belong in production', `• ${advice}`, '/usr/lib/gcc']));
    const facts = nodes(content.body)
      .filter((n) => n.type === 'FactSet')
      .flatMap((f) => (f.facts as { title: string; value: string }[]).map((x) => `${unescape(x.title)}: ${unescape(x.value)}`));
    expect(facts).toEqual(expect.arrayContaining(['On disk: 412 MiB', 'Shipped but not kept: 31.0 MiB', 'Efficiency (dive): 87.4%']));
  });

  it('says so when the layers were not read in time', () => {
    const content = buildAlertCard({ ...regressionAlert(), content: { status: 'timed out', waitedSeconds: 120 } });
    expectCleanCard(content);
    expect(textBlocks(content).map((t) => unescape(t.text as string))).toContain(
      'Its layers were not read within 120 s (ALERT_CONTENT_WAIT_SECONDS): sent without what is inside.',
    );
  });
});
