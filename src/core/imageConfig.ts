import { z } from 'zod';
import { describeIssues } from './validation';
import type { Layer } from './manifest';

/** The parts of an image config (OCI image-spec config.md) that explain a size. */
export const ImageConfigSchema = z.object({
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  rootfs: z.object({ diff_ids: z.array(z.string()).optional() }).optional(),
  history: z
    .array(
      z.object({
        created: z.string().optional(),
        created_by: z.string().optional(),
        comment: z.string().optional(),
        empty_layer: z.boolean().optional(),
      }),
    )
    .optional(),
});

export interface LayerHistory {
  /** `created_by`: the Dockerfile step; for a squashed layer, the steps it may hold. */
  createdBy?: string;
  /** `created`: when the step ran; base image layers are older than the build. */
  created?: string;
  /** Several steps whose output landed in this one layer (a squashed build), oldest first. */
  steps?: string[];
  /** The history names no step that could have made this layer. */
  unattributed?: true;
}

/**
 * Bumped whenever parsing changes what is kept, so configs stored by an older parser are
 * parsed again instead of showing their old reading forever.
 */
export const CONFIG_PARSER_VERSION = 2;

export interface ImageConfigSummary {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  /** The history entries that made layers, in layer order. */
  layerHistory?: LayerHistory[];
  /** `rootfs.diff_ids`: each layer's uncompressed digest, in layer order. */
  diffIds?: string[];
}

/**
 * Dockerfile steps can be many KB (heredocs, long RUN chains); the step is for people to
 * recognise, and Table Storage caps a property at 64 KiB, so keep the start of it.
 */
export const MAX_CREATED_BY_CHARS = 1000;

/**
 * Classic builders and buildah write `COPY file:<sha256 of the sources> in /dest`: the hash
 * changes whenever the copied files do, so with it the same Dockerfile line would look like
 * a different step in every build (and the hash would crowd the destination out of a card).
 */
const SOURCE_HASH = /^((?:COPY|ADD) (?:file|dir|multi)):[0-9a-f]{64}(?= in )/;

export function shortenStep(step: string, max = MAX_CREATED_BY_CHARS): string {
  const s = step
    .replace(/^\/bin\/sh -c #\(nop\)\s+/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(SOURCE_HASH, '$1');
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

/** Dockerfile instructions that change only the config: whatever a layer holds, they did not write it. */
const METADATA_ONLY = new Set([
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'LABEL',
  'EXPOSE',
  'USER',
  'VOLUME',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
  'ONBUILD',
  'ARG',
  'MAINTAINER',
  'WORKDIR',
]);

/** The instruction of a (shortened) step, when it names one: `CMD ["x"]` → CMD; a bare shell command → undefined. */
export function instructionOf(step: string): string | undefined {
  return /^([A-Z]+)(?:\s|$)/.exec(step)?.[1];
}

const isMetadataOnly = (step: string | undefined) => step !== undefined && METADATA_ONLY.has(instructionOf(step) ?? '');

/**
 * Pairs history entries with the layers they made. A squashing build (buildah without
 * `--layers`, `docker build --squash`) marks its RUN/COPY entries `empty_layer` and hangs
 * the one layer on the last entry, often a CMD; blaming a 30 MB layer on `CMD` would be
 * wrong, so such a layer gets the content steps that ran since the previous layer. A
 * metadata-only entry with no such steps before it is unattributed, except WORKDIR, which
 * BuildKit records with the (tiny) layer that creates the directory.
 */
function layerHistoryOf(history: z.infer<typeof ImageConfigSchema>['history'] & object): LayerHistory[] {
  const out: LayerHistory[] = [];
  let pending: string[] = [];
  for (const h of history) {
    const step = h.created_by ? shortenStep(h.created_by) : undefined;
    if (h.empty_layer === true) {
      if (step && !isMetadataOnly(step)) pending.push(step);
      continue;
    }
    const created = h.created ? { created: h.created } : {};
    if (isMetadataOnly(step) && pending.length > 0) {
      out.push({ createdBy: pending.join(' + '), ...created, ...(pending.length > 1 ? { steps: pending } : {}) });
    } else if (isMetadataOnly(step) && instructionOf(step!) !== 'WORKDIR') {
      out.push({ ...created, unattributed: true });
    } else {
      out.push({ ...(step ? { createdBy: step } : {}), ...created });
    }
    pending = [];
  }
  return out;
}

export function parseImageConfig(body: string | Uint8Array): ImageConfigSummary | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    return { error: 'image config is not valid JSON' };
  }
  const parsed = ImageConfigSchema.safeParse(json);
  if (!parsed.success) return { error: `malformed image config: ${describeIssues(parsed.error, { limit: 1 })}` };
  const c = parsed.data;
  return {
    ...(c.os ? { os: c.os } : {}),
    ...(c.architecture ? { architecture: c.architecture } : {}),
    ...(c.variant ? { variant: c.variant } : {}),
    ...(c.created ? { created: c.created } : {}),
    ...(c.history ? { layerHistory: layerHistoryOf(c.history) } : {}),
    ...(c.rootfs?.diff_ids ? { diffIds: c.rootfs.diff_ids } : {}),
  };
}

/** A config as stored by digest: its summary, or why it could not be read. */
export type StoredConfig = ImageConfigSummary | { error: string };

const LayerHistorySchema = z.object({
  createdBy: z.string().optional(),
  created: z.string().optional(),
  steps: z.array(z.string()).optional(),
  unattributed: z.literal(true).optional(),
}) satisfies z.ZodType<LayerHistory>;

const ImageConfigSummarySchema = z.object({
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  layerHistory: z.array(LayerHistorySchema).optional(),
  diffIds: z.array(z.string()).optional(),
}) satisfies z.ZodType<ImageConfigSummary>;

// The error first: every field of a summary is optional, so an error record would pass as an empty summary and lose its `error`.
export const StoredConfigSchema = z.union([z.object({ error: z.string() }), ImageConfigSummarySchema]) satisfies z.ZodType<StoredConfig>;

export type HistoryMatch = 'matched' | 'absent' | 'mismatched';

/**
 * Pairs the n-th history entry that made a layer with layers[n]. History is optional and
 * sometimes rewritten (squashing, some builders), so when the counts differ no step is
 * attributed at all rather than a wrong one.
 */
export function applyHistory(layers: Layer[], layerHistory: LayerHistory[] | undefined): { layers: Layer[]; history: HistoryMatch } {
  if (!layerHistory) return { layers, history: 'absent' };
  if (layerHistory.length !== layers.length) return { layers, history: 'mismatched' };
  return {
    layers: layers.map((l, i) => {
      const h = layerHistory[i];
      return {
        ...l,
        ...(h?.createdBy ? { createdBy: h.createdBy } : {}),
        ...(h?.steps ? { steps: h.steps } : {}),
        ...(h?.created ? { createdAt: h.created } : {}),
      };
    }),
    history: 'matched',
  };
}
