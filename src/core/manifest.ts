import { z } from 'zod';
import { describeIssues } from './validation';
import { INDEX_TYPES, IMAGE_MANIFEST_TYPES, MediaType, SCHEMA1_TYPES, isForeignLayer } from './mediaTypes';

/**
 * Manifests arrive from a registry we do not control: parse them with schemas at the
 * boundary and turn anything we cannot size into an explicit "unsupported" result
 * instead of an exception.
 */

export const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Bumped whenever parsing changes what is kept or what is refused, so a manifest stored
 * by an older parser is parsed again instead of keeping its old reading (or its old
 * `unsupported` verdict) forever. Rows written before versions were stored count as older.
 */
export const MANIFEST_PARSER_VERSION = 1;

/** Whether a stored parser version is the current one (or a newer one, written by a later release). */
export function isCurrentManifestParse(version: unknown): boolean {
  return typeof version === 'number' && version >= MANIFEST_PARSER_VERSION;
}

const Size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const PlatformSchema = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});

export const DescriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string().regex(DIGEST, 'not a digest'),
  size: Size,
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  artifactType: z.string().optional(),
  platform: PlatformSchema.optional(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

export const ImageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const IndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

export interface Layer {
  digest: string;
  mediaType: string;
  sizeBytes: number;
  /** Foreign or non-distributable: may be served from elsewhere, still downloaded by clients. */
  foreign: boolean;
  /** The Dockerfile step that made the layer, from the config history when it lines up. */
  createdBy?: string;
  /** A squashed layer: the steps it may hold (`createdBy` joins them). */
  steps?: string[];
  /** When that step ran, from the same history entry. */
  createdAt?: string;
}

export interface ImageManifest {
  kind: 'image';
  mediaType: string;
  artifactType?: string;
  config: { digest: string; mediaType: string; sizeBytes: number };
  layers: Layer[];
}

export interface IndexEntry {
  digest: string;
  mediaType: string;
  sizeBytes: number;
  /** `os/arch[/variant]`, absent when the index does not say (OCI allows that). */
  platform?: string;
  /** BuildKit provenance/SBOM manifests: not part of any runnable image. */
  attestation: boolean;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: IndexEntry[];
}

export interface UnsupportedManifest {
  kind: 'unsupported';
  mediaType: string;
  reason: string;
}

export type ParsedManifest = ImageManifest | ImageIndex | UnsupportedManifest;

export const LayerSchema = z.object({
  digest: z.string(),
  mediaType: z.string(),
  sizeBytes: Size,
  foreign: z.boolean(),
  createdBy: z.string().optional(),
  steps: z.array(z.string()).optional(),
  createdAt: z.string().optional(),
}) satisfies z.ZodType<Layer>;

/** A parse result as stored by digest: the schemas above describe what a registry serves, these what we keep of it. */
export const ParsedManifestSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('image'),
    mediaType: z.string(),
    artifactType: z.string().optional(),
    config: z.object({ digest: z.string(), mediaType: z.string(), sizeBytes: Size }),
    layers: z.array(LayerSchema),
  }) satisfies z.ZodType<ImageManifest>,
  z.object({
    kind: z.literal('index'),
    mediaType: z.string(),
    manifests: z.array(
      z.object({
        digest: z.string(),
        mediaType: z.string(),
        sizeBytes: Size,
        platform: z.string().optional(),
        attestation: z.boolean(),
      }) satisfies z.ZodType<IndexEntry>,
    ),
  }) satisfies z.ZodType<ImageIndex>,
  z.object({ kind: z.literal('unsupported'), mediaType: z.string(), reason: z.string() }) satisfies z.ZodType<UnsupportedManifest>,
]) satisfies z.ZodType<ParsedManifest>;

export function platformString(p: { os: string; architecture: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter((s) => !!s).join('/');
}

export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown');
}

/**
 * @param body the manifest bytes as served
 * @param contentType the media type the registry answered with; preferred over the
 *   body's optional `mediaType` field, which OCI manifests may omit
 */
export function parseManifest(body: string | Uint8Array, contentType?: string): ParsedManifest {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unsupported', mediaType: contentType ?? 'unknown', reason: 'manifest is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'unsupported', mediaType: contentType ?? 'unknown', reason: 'manifest is not a JSON object' };
  }
  const obj = json as Record<string, unknown>;
  const declared = typeof obj.mediaType === 'string' ? obj.mediaType : undefined;
  const mediaType = contentType && contentType !== 'application/json' ? contentType : (declared ?? inferMediaType(obj));

  if (SCHEMA1_TYPES.has(mediaType) || obj.schemaVersion === 1) {
    return {
      kind: 'unsupported',
      mediaType: SCHEMA1_TYPES.has(mediaType) ? mediaType : MediaType.dockerSchema1,
      reason: 'Docker image manifest schema 1 is deprecated and does not state layer sizes; push the image again with a current client',
    };
  }
  if (IMAGE_MANIFEST_TYPES.has(mediaType)) {
    const parsed = ImageManifestSchema.safeParse(obj);
    if (!parsed.success) return { kind: 'unsupported', mediaType, reason: `malformed image manifest: ${describeIssues(parsed.error, { limit: 3 })}` };
    const m = parsed.data;
    return {
      kind: 'image',
      mediaType,
      ...(m.artifactType ? { artifactType: m.artifactType } : {}),
      config: { digest: m.config.digest, mediaType: m.config.mediaType, sizeBytes: m.config.size },
      layers: m.layers.map((l) => ({
        digest: l.digest,
        mediaType: l.mediaType,
        sizeBytes: l.size,
        foreign: isForeignLayer(l.mediaType),
      })),
    };
  }
  if (INDEX_TYPES.has(mediaType)) {
    const parsed = IndexSchema.safeParse(obj);
    if (!parsed.success) return { kind: 'unsupported', mediaType, reason: `malformed image index: ${describeIssues(parsed.error, { limit: 3 })}` };
    return {
      kind: 'index',
      mediaType,
      manifests: parsed.data.manifests.map((d) => ({
        digest: d.digest,
        mediaType: d.mediaType,
        sizeBytes: d.size,
        ...(d.platform ? { platform: platformString(d.platform) } : {}),
        attestation: isAttestation(d),
      })),
    };
  }
  return { kind: 'unsupported', mediaType, reason: `unsupported manifest media type "${mediaType}"` };
}

/** OCI lets manifests omit `mediaType`; their shape still tells an index from an image. */
function inferMediaType(obj: Record<string, unknown>): string {
  if (obj.schemaVersion === 2 && Array.isArray(obj.manifests)) return MediaType.ociIndex;
  if (obj.schemaVersion === 2 && obj.config && Array.isArray(obj.layers)) return MediaType.ociManifest;
  return 'unknown';
}
