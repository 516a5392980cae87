import { z } from 'zod';
import type { Layer } from './manifest';

/** The parts of an image config (OCI image-spec config.md) that explain a size. */
export const ImageConfigSchema = z.object({
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
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
  /** `created_by`: the Dockerfile step. */
  createdBy?: string;
  /** `created`: when the step ran; base image layers are older than the build. */
  created?: string;
}

export interface ImageConfigSummary {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  /** The history entries that made layers, in layer order. */
  layerHistory?: LayerHistory[];
}

/**
 * Dockerfile steps can be many KB (heredocs, long RUN chains); the step is for people to
 * recognise, and Table Storage caps a property at 64 KiB, so keep the start of it.
 */
export const MAX_CREATED_BY_CHARS = 1000;

export function shortenStep(step: string, max = MAX_CREATED_BY_CHARS): string {
  const s = step.replace(/^\/bin\/sh -c #\(nop\)\s+/, '').replace(/\s+/g, ' ').trim();
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

export function parseImageConfig(body: string | Uint8Array): ImageConfigSummary | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    return { error: 'image config is not valid JSON' };
  }
  const parsed = ImageConfigSchema.safeParse(json);
  if (!parsed.success) return { error: `malformed image config: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const c = parsed.data;
  return {
    ...(c.os ? { os: c.os } : {}),
    ...(c.architecture ? { architecture: c.architecture } : {}),
    ...(c.variant ? { variant: c.variant } : {}),
    ...(c.created ? { created: c.created } : {}),
    ...(c.history
      ? {
          layerHistory: c.history
            .filter((h) => h.empty_layer !== true)
            .map((h) => ({ ...(h.created_by ? { createdBy: shortenStep(h.created_by) } : {}), ...(h.created ? { created: h.created } : {}) })),
        }
      : {}),
  };
}

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
      return { ...l, ...(h?.createdBy ? { createdBy: h.createdBy } : {}), ...(h?.created ? { createdAt: h.created } : {}) };
    }),
    history: 'matched',
  };
}
