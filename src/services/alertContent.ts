import type { AlertContent } from '../core/alert';
import type { ImageContentRecord } from '../core/contentAnalysis';
import type { ContentFacts } from '../core/rules';
import type { ContentAnalysisStore, LayerIndexStore } from './contentAnalysis';
import { diffContents } from './files';

/**
 * What an alert knows of what is inside its image: the content record once the layers are
 * read, waited for up to ALERT_CONTENT_WAIT_SECONDS so the card can say it, and the paths
 * that grew most against the baseline.
 */

export interface ContentSources {
  layers: Pick<ContentAnalysisStore, 'image' | 'layers'>;
  indexes: Pick<LayerIndexStore, 'get'>;
  /** How long an evaluation waits for its image's content, from its first attempt. */
  waitMs: number;
}

/** Where an evaluation stands with its image's content. */
export type ContentState =
  | { state: 'done'; record: ImageContentRecord }
  | { state: 'wait'; delaySeconds: number; since: string }
  | { state: 'without'; reason: 'not requested' | 'timed out'; waitedSeconds?: number };

/** Waiting is re-checked at this pace (or sooner, at the deadline). */
const RECHECK_SECONDS = 10;

/**
 * `since` is when this evaluation first waited. An image with no content record is waited
 * for only while its push is recent (its request may still be queued); one pushed long
 * before analysis was on is evaluated without.
 */
export async function contentState(
  src: ContentSources,
  registry: string,
  digest: string,
  pushedAt: string,
  since: string | undefined,
  now: Date,
): Promise<ContentState> {
  const record = await src.layers.image(registry, digest);
  if (record?.status === 'done') return { state: 'done', record };
  const start = since ?? now.toISOString();
  const deadline = new Date(start).getTime() + src.waitMs;
  if (!record && now.getTime() - new Date(pushedAt).getTime() > src.waitMs) return { state: 'without', reason: 'not requested' };
  if (now.getTime() >= deadline)
    return { state: 'without', reason: 'timed out', waitedSeconds: Math.round((now.getTime() - new Date(start).getTime()) / 1000) };
  return { state: 'wait', since: start, delaySeconds: Math.max(1, Math.min(RECHECK_SECONDS, Math.ceil((deadline - now.getTime()) / 1000))) };
}

export function factsOf(record: ImageContentRecord | undefined): ContentFacts | undefined {
  const s = record?.status === 'done' ? record.summary : undefined;
  if (!s) return undefined;
  return {
    efficiency: s.efficiency,
    wastedBytes: s.wastedBytes,
    shippedBytes: s.shippedBytes,
    findings: s.findings.map((f) => ({ category: f.category, label: f.label, compressedBytes: f.compressedBytes })),
  };
}

const GROWN = 5;
const FINDINGS = 3;

/** The card's view of the content: figures, the top findings with their advice, the paths that grew most since the baseline. */
export async function alertContent(
  src: ContentSources,
  registry: string,
  state: Exclude<ContentState, { state: 'wait' }>,
  baselineDigest: string | undefined,
): Promise<AlertContent> {
  if (state.state === 'without') return { status: state.reason, ...(state.waitedSeconds !== undefined ? { waitedSeconds: state.waitedSeconds } : {}) };
  const s = state.record.summary!;
  let grown: Extract<AlertContent, { status: 'done' }>['grown'] = [];
  if (baselineDigest) {
    const d = await diffContents(src, registry, baselineDigest, state.record.digest, GROWN);
    if (d.ok) {
      const { diff, after } = d;
      grown = [...diff.added, ...diff.grown]
        .sort((a, b) => b.deltaBytes - a.deltaBytes)
        .slice(0, GROWN)
        .map((c) => {
          const step = c.layer === undefined ? undefined : after.layers[c.layer]?.step;
          return { path: `/${c.path}`, deltaBytes: c.deltaBytes, ...(step ? { step } : {}) };
        });
    }
  }
  return {
    status: 'done',
    complete: s.complete,
    onDiskBytes: s.onDiskBytes,
    wastedBytes: s.wastedBytes,
    efficiency: s.efficiency,
    findings: s.findings.slice(0, FINDINGS).map((f) => ({ label: f.label, advice: f.advice })),
    grown,
  };
}
