import { adviceFor } from './advice';
import type { AlertView } from './alert';
import { CONTENT_RULES } from './rules';
import {
  formatBytes,
  formatDeltaBytes,
  formatDeltaSeconds,
  formatMoney,
  formatMoneyChange,
  formatPercent,
  formatShare,
  formatSeconds,
  formatStep,
  shortDigest,
  shorten,
} from './format';
import type { Layer } from './manifest';
import type { StepDelta } from './layerDiff';

/**
 * The Teams alert: an Adaptive Card 1.5 posted through a Workflows webhook. It carries
 * everything needed to act on the alert, and is trimmed to fit Teams' message limit.
 */

/** Teams rejects bigger messages with 413 (about 28 KB; reference facts, "Teams"). */
export const TEAMS_MESSAGE_LIMIT_BYTES = 28_000;
/** The smallest limit the last-resort card is sure to fit in. */
export const MIN_MESSAGE_BYTES = 2_000;

export interface CardLimits {
  steps?: number;
  layers?: number;
  /** Characters of a step or layer text; other free text gets four times as many. */
  textChars?: number;
}

export const DEFAULT_CARD_LIMITS: Required<CardLimits> = { steps: 5, layers: 5, textChars: 80 };

/** Each rung leaves out more, until the card fits: lists first, then text. */
const TRIM_LADDER: Required<CardLimits>[] = [
  DEFAULT_CARD_LIMITS,
  { steps: 3, layers: 3, textChars: 80 },
  { steps: 1, layers: 1, textChars: 80 },
  { steps: 0, layers: 0, textChars: 80 },
  { steps: 0, layers: 0, textChars: 40 },
  { steps: 0, layers: 0, textChars: 20 },
  { steps: 0, layers: 0, textChars: 10 },
];

type Element = Record<string, unknown>;

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: Record<string, unknown> }];
}

/**
 * Teams renders TextBlock and fact text as markdown. We use none, so a `*` glob or an
 * `_ENV_` in a Dockerfile step must not turn into emphasis, and `[x](y)` not into a link.
 */
export function escapeMarkdown(text: string): string {
  let s = text.replace(/\\(?=[!-/:-@[-`{-~])/g, '\\\\').replace(/\*/g, '\\*');
  // Underscores inside a word (NODE_ENV) cannot open or close emphasis; escaping them would show backslashes on clients without escapes.
  s = s.replace(/_/g, (u, i: number) => (/[A-Za-z0-9]/.test(s[i - 1] ?? '') && /[A-Za-z0-9]/.test(s[i + 1] ?? '') ? u : '\\_'));
  if (s.includes('](')) s = s.replace(/\[/g, '\\[');
  // A leading "- ", "1. " or "# " would start a list or a heading.
  if (/^\d+[.)]\s/.test(s)) return s.replace(/[.)]/, '\\$&');
  return /^[-+>#]\s/.test(s) ? `\\${s}` : s;
}

const textBlock = (text: string, props: Element = {}): Element => ({ type: 'TextBlock', text: escapeMarkdown(text), wrap: true, ...props });
const heading = (text: string): Element => textBlock(text, { weight: 'Bolder', separator: true, spacing: 'Medium' });
const bullet = (text: string): Element => textBlock(`• ${text}`, { spacing: 'Small' });
const subtle = (text: string, props: Element = {}): Element => textBlock(text, { isSubtle: true, size: 'Small', spacing: 'Small', ...props });
const fact = (title: string, value: string) => ({ title: escapeMarkdown(title), value: escapeMarkdown(value) });

/** The figure the alert is about, big: what the image weighs now and how that changed. */
function sizeBlock(view: AlertView, good: boolean): Element {
  const base = view.baseline;
  if (!base) {
    return {
      type: 'Container',
      spacing: 'Medium',
      items: [
        subtle('Compressed size', { spacing: 'None' }),
        textBlock(formatBytes(view.sizeBytes), { size: 'ExtraLarge', weight: 'Bolder', spacing: 'None' }),
        subtle('First push: no earlier image to compare with', { spacing: 'None' }),
      ],
    };
  }
  const delta = view.sizeBytes - base.sizeBytes;
  const percent = base.sizeBytes > 0 ? `, ${formatPercent(delta / base.sizeBytes)}` : '';
  return {
    type: 'Container',
    spacing: 'Medium',
    items: [
      subtle('Compressed size', { spacing: 'None' }),
      textBlock(`${formatBytes(base.sizeBytes)} → ${formatBytes(view.sizeBytes)}`, { size: 'ExtraLarge', weight: 'Bolder', spacing: 'None' }),
      textBlock(`${formatDeltaBytes(delta)}${percent}`, { size: 'Medium', weight: 'Bolder', color: good ? 'Good' : 'Attention', spacing: 'None' }),
    ],
  };
}

function identityFacts(view: AlertView, long: number): Element {
  const facts = [
    fact('Registry', shorten(view.registry, long)),
    fact('Repository', shorten(view.repository, long)),
    fact('Tag', shorten(view.tag, long)),
    fact('Platform', shorten(view.platform, long)),
    // Digests are what people search for; they are never shortened beyond their usual short form.
    fact('Digest', shortDigest(view.digest)),
    ...(view.indexDigest ? [fact('Index digest', shortDigest(view.indexDigest))] : []),
    ...(view.baseline
      ? [fact('Baseline', `${shorten(view.baseline.tag, long)} (${shortDigest(view.baseline.digest)})`)]
      : [fact('Baseline', 'none: nothing earlier to compare with')]),
    fact('Pushed', shorten(formatTimestamp(view.pushedAt), long)),
  ];
  return { type: 'FactSet', facts };
}

/** `2026-11-20T12:01:07Z` → `2026-11-20 12:01 UTC`; anything else as it came. */
function formatTimestamp(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** A row: text on the left, figures right-aligned so they line up down the list. */
function row(label: string, figure: string, detail: string | null, color: string, extra: Element[] = []): Element {
  return {
    type: 'ColumnSet',
    spacing: 'Small',
    columns: [
      { type: 'Column', width: 'stretch', items: [textBlock(label, { fontType: 'Monospace', size: 'Small' }), ...extra] },
      {
        type: 'Column',
        width: 'auto',
        items: [
          textBlock(figure, { weight: 'Bolder', color, horizontalAlignment: 'Right' }),
          ...(detail ? [subtle(detail, { spacing: 'None', horizontalAlignment: 'Right' })] : []),
        ],
      },
    ],
  };
}

function stepDetail(s: StepDelta): string {
  if (s.change === 'added') return `new step, ${formatBytes(s.afterBytes)}`;
  if (s.change === 'removed') return `removed, was ${formatBytes(s.beforeBytes)}`;
  return `${formatBytes(s.beforeBytes)} → ${formatBytes(s.afterBytes)}`;
}

/** Regressions list what grew, improvements what shrank: the steps that explain the alert. */
function stepSection(view: AlertView, limit: number, chars: number): Element[] {
  const grew = view.kind === 'regression';
  const moved = view.steps
    .filter((s) => (grew ? s.deltaBytes > 0 : s.deltaBytes < 0))
    .sort((a, b) => (grew ? b.deltaBytes - a.deltaBytes : a.deltaBytes - b.deltaBytes));
  if (moved.length === 0) return [];
  const shown = moved.slice(0, limit);
  const title = grew ? 'Dockerfile steps that grew most' : 'Dockerfile steps that shrank most';
  const elements = [heading(shown.length < moved.length ? `${title} (${shown.length} of ${moved.length})` : title)];
  for (const s of shown) elements.push(row(shorten(formatStep(s.step), chars), formatDeltaBytes(s.deltaBytes), stepDetail(s), grew ? 'Attention' : 'Good'));
  const rest = moved.slice(shown.length);
  if (rest.length > 0) {
    const total = rest.reduce((sum, s) => sum + s.deltaBytes, 0);
    elements.push(subtle(`… and ${rest.length} more step${rest.length === 1 ? '' : 's'}, ${formatDeltaBytes(total)} in all`));
  }
  return elements;
}

function layerLabel(l: Layer, chars: number): string {
  return l.createdBy ? shorten(formatStep(l.createdBy), chars) : `layer ${shortDigest(l.digest)}`;
}

function layerSection(view: AlertView, limit: number, chars: number): Element[] {
  if (view.addedLayers.length === 0) return [];
  const sorted = [...view.addedLayers].sort((a, b) => b.sizeBytes - a.sizeBytes);
  const shown = sorted.slice(0, limit);
  const title = view.baseline ? 'Largest new layers' : 'Largest layers';
  const counted = shown.length < sorted.length ? `${title} (${shown.length} of ${sorted.length})` : title;
  const elements = [heading(counted)];
  for (const l of shown) {
    // Foreign layers are downloaded from elsewhere (often Microsoft's servers), yet every pull still pays for them.
    const flag = l.foreign
      ? [subtle('foreign layer: served from outside the registry, still pulled by every client', { color: 'Warning', spacing: 'None' })]
      : [];
    elements.push(row(layerLabel(l, chars), formatBytes(l.sizeBytes), null, 'Default', flag));
  }
  const rest = sorted.slice(shown.length);
  if (rest.length > 0) {
    const total = rest.reduce((sum, l) => sum + l.sizeBytes, 0);
    elements.push(subtle(`… and ${rest.length} more layer${rest.length === 1 ? '' : 's'}, ${formatBytes(total)} in all`));
  }
  return elements;
}

function baseSection(view: AlertView, long: number): Element[] {
  if (!view.base) return [];
  const b = view.base;
  return [
    heading('Base image'),
    // A changed base explains a regression, so it is marked; for an improvement it is the likely reason and good news.
    textBlock(shorten(`${b.changed ? 'Changed' : 'Unchanged'}: ${b.reason}`, long), {
      spacing: 'Small',
      ...(b.changed && view.kind === 'regression' ? { color: 'Warning' } : {}),
    }),
  ];
}

function costSection(view: AlertView, long: number): Element[] {
  const c = view.cost;
  const image = c.monthlyBefore === null ? formatMoney(c.monthlyAfter, c.currency) : formatMoneyChange(c.monthlyBefore, c.monthlyAfter, c.currency);
  const push = c.withinIncluded ? `${formatMoney(c.pushMarginalMonthly, c.currency)}: within included storage` : formatMoney(c.pushMarginalMonthly, c.currency);
  return [
    heading('Storage cost per month'),
    { type: 'FactSet', spacing: 'Small', facts: [fact('Image storage', image), fact('Added by this push', push)] },
    subtle(shorten(c.note, long)),
  ];
}

function pullSection(view: AlertView): Element[] {
  const p = view.pull;
  if (!p) return [];
  const cold = (seconds: number, delta: number | null) =>
    delta === null ? formatSeconds(seconds) : `${formatSeconds(seconds)} (${formatDeltaSeconds(delta)})`;
  return [
    heading('Pull and start time (estimates)'),
    {
      type: 'FactSet',
      spacing: 'Small',
      facts: [
        fact('ACI cold start', cold(p.aci.coldStartSeconds, p.aci.coldStartDeltaSeconds)),
        fact('App Service cold start', cold(p.appService.coldStartSeconds, p.appService.coldStartDeltaSeconds)),
        fact('App Service restart', formatSeconds(p.appService.restartSeconds)),
        fact('AKS new node', cold(p.aks.coldStartSeconds, p.aks.coldStartDeltaSeconds)),
        fact('AKS warm node', formatSeconds(p.aks.warmNodeSeconds)),
      ],
    },
  ];
}

/** What is inside the image: its figures, the paths that grew most, the largest findings with their advice and saving. */
function contentSection(view: AlertView, limit: number, chars: number, long: number): Element[] {
  const c = view.content;
  if (!c) return [];
  if (c.status !== 'done') {
    const why =
      c.status === 'timed out'
        ? `Its layers were not read within ${c.waitedSeconds ?? 0} s (ALERT_CONTENT_WAIT_SECONDS): sent without what is inside.`
        : 'Its layers were not analyzed (LAYER_ANALYSIS off, or pushed before it was on).';
    return [heading('What is inside'), subtle(why)];
  }
  const elements: Element[] = [
    heading(c.complete ? 'What is inside' : 'What is inside (some layers not read)'),
    {
      type: 'FactSet',
      spacing: 'Small',
      facts: [
        fact('On disk', formatBytes(c.onDiskBytes)),
        fact('Shipped but not kept', formatBytes(c.wastedBytes)),
        fact('Efficiency (dive)', formatShare(c.efficiency)),
      ],
    },
  ];
  if (c.grown.length > 0) {
    elements.push(textBlock('Grew most', { weight: 'Bolder', spacing: 'Small' }));
    for (const g of c.grown.slice(0, limit))
      elements.push(row(shorten(g.path, chars), formatDeltaBytes(g.deltaBytes), g.step ? shorten(formatStep(g.step), chars) : null, 'Warning'));
  }
  if (c.findings.length > 0) {
    elements.push(textBlock('Does not belong in production', { weight: 'Bolder', spacing: 'Small' }));
    // The saving comes last in the advice: room for it, the card's byte limit still applies.
    for (const f of c.findings.slice(0, limit)) elements.push(bullet(shorten(f.advice, long * 2)));
  }
  return elements;
}

function headline(view: AlertView): string {
  const name = `${view.repository}:${view.tag}`;
  if (view.kind === 'improvement') return `Image got smaller: ${name}`;
  if (!view.baseline && view.findings.some((f) => f.rule === 'budget')) return `Image over its size budget: ${name}`;
  if (view.findings.length > 0 && view.findings.every((f) => CONTENT_RULES.has(f.rule))) return `Image content alert: ${name}`;
  return `Image size regression: ${name}`;
}

function header(view: AlertView, long: number): Element {
  const good = view.kind === 'improvement';
  return {
    type: 'Container',
    style: good ? 'good' : 'attention',
    bleed: true,
    items: [
      textBlock(shorten(headline(view), long), { size: 'Large', weight: 'Bolder', color: good ? 'Good' : 'Attention' }),
      subtle(shorten(`${view.registry}/${view.repository}:${view.tag} · ${view.platform}`, long), { spacing: 'None', size: 'Default' }),
    ],
  };
}

function card(body: Element[], compareUrl: string | undefined): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    msteams: { width: 'Full' },
    body,
    // Without a link there is nothing to act on in the card: no `actions` at all rather than an empty list.
    ...(compareUrl ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the comparison', url: compareUrl }] } : {}),
  };
}

function renderCard(view: AlertView, limits: CardLimits, trimmed: boolean): Record<string, unknown> {
  const steps = limits.steps ?? DEFAULT_CARD_LIMITS.steps;
  const layers = limits.layers ?? DEFAULT_CARD_LIMITS.layers;
  const chars = limits.textChars ?? DEFAULT_CARD_LIMITS.textChars;
  const long = chars * 4;
  const good = view.kind === 'improvement';
  const advice = adviceFor(view);
  const body: Element[] = [
    header(view, long),
    sizeBlock(view, good),
    identityFacts(view, long),
    heading(good ? 'Why this notice' : 'Why this alert'),
    ...(view.findings.length > 0 ? view.findings.map((f) => bullet(shorten(f.summary, long))) : [bullet('No rule fired')]),
    ...stepSection(view, steps, chars),
    ...layerSection(view, layers, chars),
    ...baseSection(view, long),
    ...costSection(view, long),
    ...pullSection(view),
    ...contentSection(view, layers, chars, long),
    ...(advice.length > 0 ? [heading(good ? 'Notes' : 'What to try'), ...advice.map((a) => bullet(shorten(a, long)))] : []),
    ...(trimmed
      ? [subtle(`Details were left out to fit a Teams message${view.compareUrl ? ': the comparison has them all' : ''}.`, { spacing: 'Medium' })]
      : []),
  ];
  return card(body, view.compareUrl);
}

export function buildAlertCard(view: AlertView, limits?: CardLimits): Record<string, unknown> {
  return renderCard(view, limits ?? DEFAULT_CARD_LIMITS, false);
}

export function teamsMessage(content: Record<string, unknown>): TeamsMessage {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

export function messageBytes(message: unknown): number {
  return new TextEncoder().encode(JSON.stringify(message)).length;
}

/** The last resort: what was pushed, its digest, its size and why, with everything else left to the compare link. */
function minimalCard(view: AlertView, findings: number, withLink: boolean, chars = 60): Record<string, unknown> {
  // A well-formed short digest is 19 characters; the cap only bites on malformed ones.
  const digestChars = Math.max(chars, 32);
  const body: Element[] = [
    header(view, chars),
    sizeBlock(view, view.kind === 'improvement'),
    {
      type: 'FactSet',
      facts: [
        fact('Digest', shorten(shortDigest(view.digest), digestChars)),
        ...(view.indexDigest ? [fact('Index digest', shorten(shortDigest(view.indexDigest), digestChars))] : []),
      ],
    },
    ...view.findings.slice(0, findings).map((f) => bullet(shorten(f.summary, chars))),
    subtle('Details were left out to fit a Teams message.', { spacing: 'Medium' }),
  ];
  return card(body, withLink ? view.compareUrl : undefined);
}

/**
 * The message for a view, within `maxBytes` of UTF-8 JSON: lists are cut before text, and
 * text before the digests people search for. Throws only for a limit no alert can fit in.
 */
export function alertMessage(view: AlertView, maxBytes = TEAMS_MESSAGE_LIMIT_BYTES): { message: TeamsMessage; bytes: number; trimmed: boolean } {
  if (!(maxBytes >= MIN_MESSAGE_BYTES)) throw new RangeError(`maxBytes must be at least ${MIN_MESSAGE_BYTES}, got ${maxBytes}`);
  const attempts = [
    ...TRIM_LADDER.map((limits, i) => () => renderCard(view, limits, i > 0)),
    () => minimalCard(view, 3, true),
    () => minimalCard(view, 0, true),
    () => minimalCard(view, 0, false),
  ];
  for (const [i, attempt] of attempts.entries()) {
    const message = teamsMessage(attempt());
    const bytes = messageBytes(message);
    if (bytes <= maxBytes) return { message, bytes, trimmed: i > 0 };
  }
  // Only text made of characters JSON spells as \uXXXX gets here; 20 of them in each text fit MIN_MESSAGE_BYTES.
  const message = teamsMessage(minimalCard(view, 0, false, 20));
  return { message, bytes: messageBytes(message), trimmed: true };
}
