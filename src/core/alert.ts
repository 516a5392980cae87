import type { PullEstimates } from './estimates/estimates';
import type { BaseChange, StepDelta } from './layerDiff';
import type { Layer } from './manifest';
import type { Finding } from './rules';

/** Which image of which push an alert is about. */
export interface AlertSubject {
  registry: string;
  repository: string;
  tag: string;
  platform: string;
  /** The platform manifest's digest. */
  digest: string;
  indexDigest?: string;
  pushedAt: string;
}

/** Everything an alert card shows, gathered by the alert service; the card is built from this alone. */
export interface AlertView extends AlertSubject {
  kind: 'regression' | 'improvement';
  sizeBytes: number;
  baseline?: { digest: string; tag: string; sizeBytes: number };
  findings: Finding[];
  /** Every aligned Dockerfile step with its size before and after (empty without a baseline). */
  steps: StepDelta[];
  /** Layers the baseline does not have (all layers without a baseline). */
  addedLayers: Layer[];
  base?: BaseChange;
  cost: {
    currency: string;
    /** The image's own bytes per month, before (the baseline) and after. */
    monthlyBefore: number | null;
    monthlyAfter: number;
    /** What this push added to the bill: zero while the registry is within its included storage. */
    pushMarginalMonthly: number;
    withinIncluded: boolean;
    note: string;
  };
  pull?: PullEstimates;
  /** Link to `GET /api/compare` for this change, when PUBLIC_BASE_URL is set. */
  compareUrl?: string;
}
