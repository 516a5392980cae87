import type { AlertView } from './alert';
import { formatBytes, formatDeltaBytes, formatStep, shortDigest, shorten } from './format';
import { baseLayerCount } from './layerDiff';
import type { Layer } from './manifest';

/**
 * Plain advice for an alert card, given only where the steps, layers or base change point
 * at a known cause; a card with no advice is better than one with generic tips.
 */

export type AdviceInput = Pick<AlertView, 'steps' | 'addedLayers' | 'base' | 'findings' | 'kind'>;

/** Smaller growth is noise (a rebuilt COPY of sources, timestamps), not something to fix. */
export const MIN_STEP_GROWTH_BYTES = 1024 * 1024;
export const MAX_ADVICE = 4;
const STEP_CHARS = 60;
/** Losing this many steps (layers) in one push is what a move to a multi-stage build looks like. */
const MANY_FEWER_STEPS = 3;

interface GrownStep {
  text: string;
  deltaBytes: number;
  /** "grew" for a step compared with the baseline; "adds" for a layer of a first push. */
  verb: 'grew' | 'adds';
}

interface Rule {
  /** Advice is given once per rule, for the largest step it matches. */
  id: string;
  applies: (cmd: string) => boolean;
  /** What to do, as a clause; a step that several rules match gets one item with all of them. */
  fix: (cmd: string) => string;
}

const OS_INSTALL =
  /\bapt-get\s+(?:-\S+\s+)*install\b|\bapt\s+(?:-\S+\s+)*install\b|\bapk\s+(?:-\S+\s+)*add\b|\b(?:yum|dnf|microdnf|tdnf)\s+(?:-\S+\s+)*install\b|\bzypper\s+(?:-\S+\s+)*(?:in|install)\b/;
const DEPS_INSTALL =
  /\bnpm\s+(?:ci|install|i)\b|\byarn\s+install\b|\byarn\s*(?:$|&&|;|\s--)|\bpnpm\s+(?:install|i)\b|\bpip3?\s+install\b|\bpoetry\s+install\b|\bbundle\s+install\b|\bcomposer\s+install\b|\bgo\s+mod\s+download\b|\bdotnet\s+restore\b/;
const TOOLCHAIN =
  /\bgo\s+build\b|\bcargo\s+(?:build|install)\b|\bmvnw?\b|\bgradlew?\b|\bdotnet\s+(?:publish|build)\b|\bmake\b|\bg?cc\b|\bg\+\+|\b(?:npm|pnpm)\s+run\s+build\b|\byarn\s+(?:run\s+)?build\b|\bbuild-essential\b/;
const BUILD_ONLY_DEPS = /\bgo\s+mod\s+download\b|\bdotnet\s+restore\b/;
/** `COPY . .`, `ADD . /app`, and the classic builder's `COPY dir:<hash> in /app` (a whole directory from the context). */
const COPY_CONTEXT = /^(?:copy|add)\s+(?:--(?!from)\S+\s+)*(?:\.\/?|dir:\S+)\s/;
/** BuildKit cache mounts keep package caches out of the layer already. */
const CACHE_MOUNT = /--mount=type=cache/;

/** What an OS package step leaves in its layer that it need not; empty when it already cleans up. */
function osPackageFixes(cmd: string): string[] {
  if (CACHE_MOUNT.test(cmd)) return [];
  const fixes: string[] = [];
  if (/\bapt(?:-get)?\s/.test(cmd)) {
    if (!cmd.includes('/var/lib/apt/lists')) fixes.push('clean up in the same RUN (&& rm -rf /var/lib/apt/lists/*)');
    if (!cmd.includes('--no-install-recommends')) fixes.push('use --no-install-recommends');
  }
  if (/\bapk\s/.test(cmd) && !cmd.includes('--no-cache') && !cmd.includes('/var/cache/apk')) fixes.push('use apk add --no-cache');
  const rpm = /\b(yum|dnf|microdnf|tdnf)\s/.exec(cmd);
  if (rpm && !/\bclean\s+all\b/.test(cmd)) fixes.push(`clean up in the same RUN (&& ${rpm[1]} clean all)`);
  if (/\bzypper\s/.test(cmd) && !/\bzypper\s+(?:-\S+\s+)*clean\b/.test(cmd)) fixes.push('clean up in the same RUN (&& zypper clean --all)');
  return fixes;
}

/** The install command without dev dependencies or a package cache, for the tool the step uses. */
function leanInstall(cmd: string): string | undefined {
  if (/\bnpm\s/.test(cmd)) {
    const parts = [
      ...(/--omit=dev|--production|--only=prod/.test(cmd) ? [] : ['npm ci --omit=dev']),
      ...(cmd.includes('npm cache clean') ? [] : ['npm cache clean --force']),
    ];
    return parts.length > 0 ? parts.join(' && ') : undefined;
  }
  const tips: [RegExp, RegExp, string][] = [
    [/\byarn\b/, /--production|focus/, 'yarn install --production && yarn cache clean'],
    [/\bpnpm\s/, /--prod\b|--production/, 'pnpm install --prod'],
    [/\bpip3?\s/, /--no-cache-dir/, 'pip install --no-cache-dir'],
    [/\bpoetry\s/, /--only[ =]main|--no-dev|--without[ =]dev/, 'poetry install --only main'],
    [/\bbundle\s/, /without/, "bundle config set without 'development test'"],
    [/\bcomposer\s/, /--no-dev/, 'composer install --no-dev'],
  ];
  const tip = tips.find(([tool, done]) => tool.test(cmd) && !done.test(cmd));
  return tip?.[2];
}

const RULES: Rule[] = [
  {
    id: 'osPackages',
    applies: (cmd) => OS_INSTALL.test(cmd) && osPackageFixes(cmd).length > 0,
    fix: (cmd) => osPackageFixes(cmd).join(' and '),
  },
  {
    id: 'dependencies',
    // A lean install that still grew is new dependencies, not waste; go and dotnet caches are never needed at run time.
    applies: (cmd) => DEPS_INSTALL.test(cmd) && !COPY_CONTEXT.test(cmd) && (leanInstall(cmd) !== undefined || BUILD_ONLY_DEPS.test(cmd)),
    fix: (cmd) => {
      const lean = leanInstall(cmd);
      return `${lean ? `install production dependencies only, without the cache (${lean}), or ` : ''}install in a build stage and COPY --from it only the result`;
    },
  },
  {
    id: 'toolchain',
    applies: (cmd) => TOOLCHAIN.test(cmd) && !COPY_CONTEXT.test(cmd),
    fix: () => 'build in a separate stage and COPY --from it only the output, keeping the toolchain out of the final image',
  },
  {
    id: 'copyContext',
    applies: (cmd) => COPY_CONTEXT.test(cmd),
    fix: () => 'check that .dockerignore excludes node_modules, .git, build output and test data',
  },
];

/** How many leading layers of the new image came with its base image. */
function baseLayerCountOf(view: AdviceInput): number {
  return view.base?.baseLayers ?? inferredBaseLayers(view) ?? 1;
}

/** Digests of the new image's layers that came with its base image. */
function baseLayerDigests(view: AdviceInput): Set<string> {
  const count = baseLayerCountOf(view);
  const digests = new Set<string>();
  let afterIndex = 0;
  for (const s of view.steps) {
    if (s.change === 'removed') continue;
    if (afterIndex++ < count && s.afterDigest) digests.add(s.afterDigest);
  }
  if (view.steps.length === 0) for (const l of view.addedLayers.slice(0, count)) digests.add(l.digest);
  return digests;
}

/**
 * Steps the image's own Dockerfile added or grew. Steps inside the base image are left
 * out: their cause is the base change, not a RUN the team can fix. Without a baseline
 * every layer is new, so the layers stand in for steps.
 */
function grownSteps(view: AdviceInput, base: Set<string>): GrownStep[] {
  const candidates: GrownStep[] =
    view.steps.length > 0
      ? view.steps
          .filter((s) => s.change !== 'removed' && !(s.afterDigest && base.has(s.afterDigest)) && s.deltaBytes >= MIN_STEP_GROWTH_BYTES)
          .map((s) => ({ text: s.step, deltaBytes: s.deltaBytes, verb: 'grew' as const }))
      : view.addedLayers
          .filter((l) => !base.has(l.digest) && l.createdBy && l.sizeBytes >= MIN_STEP_GROWTH_BYTES)
          .map((l) => ({ text: l.createdBy!, deltaBytes: l.sizeBytes, verb: 'adds' as const }));
  return candidates.sort((a, b) => b.deltaBytes - a.deltaBytes);
}

/**
 * Without a baseline there is no base comparison; the layers' own timestamps still tell
 * the base's layers apart, taking the newest step as the build's time.
 */
function inferredBaseLayers(view: AdviceInput): number | null {
  if (view.base || view.steps.length > 0 || view.addedLayers.length === 0) return null;
  const times = view.addedLayers.map((l) => (l.createdAt ? Date.parse(l.createdAt) : NaN));
  if (times.some((t) => Number.isNaN(t))) return null;
  const newest = Math.max(...times);
  return baseLayerCount({ created: new Date(newest).toISOString(), layers: view.addedLayers });
}

const label = (createdBy: string) => `“${shorten(formatStep(createdBy), STEP_CHARS)}”`;
const layerName = (l: Layer) => (l.createdBy ? label(l.createdBy) : `layer ${shortDigest(l.digest)}`);

function improvementPraise(view: AdviceInput): string | undefined {
  const removed = view.steps.filter((s) => s.change === 'removed');
  const added = view.steps.filter((s) => s.change === 'added');
  const fewer = removed.length - added.length >= MANY_FEWER_STEPS;
  if (!fewer && !view.base?.changed) return undefined;
  const gone = [...removed].sort((a, b) => b.beforeBytes - a.beforeBytes)[0];
  const example = gone ? ` (${label(gone.step)}, ${formatBytes(gone.beforeBytes)}, is gone)` : '';
  const what = fewer ? `${removed.length - added.length} fewer layers` : 'A different base image';
  return `${what}${example}: looks like a multi-stage build or a slimmer base. Nice.`;
}

/** A regression whose base changed: name the largest layer the new base brought, when there is one. */
function baseAdvice(view: AdviceInput, base: Set<string>): string | undefined {
  if (view.kind !== 'regression' || !view.base?.changed) return undefined;
  const largest = view.addedLayers.filter((l) => base.has(l.digest)).sort((a, b) => b.sizeBytes - a.sizeBytes)[0];
  const brought = largest ? `, bringing ${layerName(largest)} of ${formatBytes(largest.sizeBytes)}` : '';
  return `The base image changed (${view.base.reason})${brought}: pin FROM to a digest (FROM image@sha256:…) so base updates are deliberate, and check what the new base adds.`;
}

export function adviceFor(view: AdviceInput): string[] {
  const items: string[] = [];
  const base = baseLayerDigests(view);
  const advised = new Set<string>();
  if (view.kind === 'improvement') {
    const praise = improvementPraise(view);
    if (praise) items.push(praise);
  }

  const used = new Set<string>();
  for (const step of grownSteps(view, base)) {
    // The Dockerfile form ("RUN …", "COPY . .") whatever shell or builder recorded the step.
    const cmd = formatStep(step.text).toLowerCase();
    const rules = RULES.filter((r) => !used.has(r.id) && r.applies(cmd));
    if (rules.length === 0) continue;
    for (const r of rules) used.add(r.id);
    advised.add(step.text);
    items.push(
      `${label(step.text)} ${step.verb} ${step.verb === 'grew' ? formatDeltaBytes(step.deltaBytes) : formatBytes(step.deltaBytes)}: ${rules.map((r) => r.fix(cmd)).join('; ')}.`,
    );
  }

  const large = view.findings.find((f) => f.rule === 'largeLayer');
  const layer = [...view.addedLayers].sort((a, b) => b.sizeBytes - a.sizeBytes)[0];
  // Step advice above may already name the layer's step; a base layer is the base advice's to name.
  if (large && layer && !(layer.createdBy && advised.has(layer.createdBy)) && !base.has(layer.digest)) {
    items.push(
      `The new layer from ${layerName(layer)} is ${formatBytes(layer.sizeBytes)}, over the ${formatBytes(large.threshold)} limit: split what it adds, or build it in a separate stage and copy only the result.`,
    );
  }

  const unique = [...new Set(items)];
  const baseItem = baseAdvice(view, base);
  // The base change explains growth no step of the Dockerfile shows, so it keeps its place.
  return baseItem ? [...unique.slice(0, MAX_ADVICE - 1), baseItem] : unique.slice(0, MAX_ADVICE);
}
