/**
 * Real container images, built byte for byte and pushed over the Distribution
 * HTTP API. Builders are pure (bytes + descriptors); pushing is separate, so a
 * test knows the exact digests and sizes the registry must report back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { header, request } from './http';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

/** "oci" → OCI image-spec media types; "docker" → Docker image manifest v2 schema 2. */
export type ImageFormat = 'oci' | 'docker';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** Content-addressed bytes: `digest` is sha256 of exactly `bytes`, `size` its length. */
export interface Blob {
  mediaType: string;
  bytes: Buffer;
  digest: string;
  size: number;
}

export interface Layer extends Blob {
  /** sha256 of the uncompressed tar: what the config lists in rootfs.diff_ids. */
  diffId: string;
  uncompressedSize: number;
}

/** An image manifest together with every blob it references. */
export interface Image {
  manifest: Blob;
  config: Blob;
  layers: Layer[];
  /** config.size + Σ layers[].size, the figure a size tracker records. */
  totalSize: number;
}

export interface MultiPlatformImage {
  index: Blob;
  images: Array<{ platform: Platform; image: Image }>;
  attestations: Array<{ subjectDigest: string; image: Image }>;
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const blob = (mediaType: string, bytes: Buffer): Blob => ({ mediaType, bytes, digest: sha256(bytes), size: bytes.length });

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export const descriptorOf = (b: Blob, extra: Pick<Descriptor, 'platform' | 'annotations'> = {}): Descriptor => ({
  mediaType: b.mediaType,
  digest: b.digest,
  size: b.size,
  ...extra,
});

/** A one-file ustar archive, so layers are genuine tar+gzip like a real build's. */
function tarOf(name: string, content: Buffer): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s.slice(0, len), off, len, 'ascii');
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(name, 0, 100);
  put(oct(0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(content.length, 12), 124, 12);
  put(oct(0, 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\u000000', 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad, Buffer.alloc(1024)]);
}

/**
 * A gzip'd tar layer holding one file of `randomBytes` random bytes. Random data
 * barely compresses, so compressed size ≈ randomBytes + ~1.6 KiB of tar/gzip framing.
 */
export function makeLayer(randomByteCount: number, format: ImageFormat = 'oci'): Layer {
  const tar = tarOf(`data-${randomBytes(4).toString('hex')}.bin`, randomBytes(randomByteCount));
  const gz = gzipSync(tar);
  return {
    ...blob(format === 'oci' ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip, gz),
    diffId: sha256(tar),
    uncompressedSize: tar.length,
  };
}

export interface ConfigOptions extends Platform {
  diffIds: string[];
  /** ISO timestamp; defaults to now. */
  created?: string;
  /** One entry per build step; entries without `empty_layer` must match diffIds one to one. */
  history?: Array<{ created_by: string; empty_layer?: boolean; created?: string }>;
  format?: ImageFormat;
}

export function makeConfig(opts: ConfigOptions): Blob {
  const created = opts.created ?? new Date().toISOString();
  const doc = {
    architecture: opts.architecture,
    os: opts.os,
    ...(opts.variant ? { variant: opts.variant } : {}),
    created,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: opts.diffIds },
    ...(opts.history ? { history: opts.history.map((h) => ({ created: h.created ?? created, ...h })) } : {}),
  };
  return blob(opts.format === 'docker' ? MediaType.dockerConfig : MediaType.ociConfig, json(doc));
}

export function makeManifest(opts: { format: ImageFormat; config: Blob; layers: Blob[]; annotations?: Record<string, string> }): Blob {
  const mediaType = opts.format === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest;
  const doc = {
    schemaVersion: 2,
    mediaType,
    config: descriptorOf(opts.config),
    layers: opts.layers.map((l) => descriptorOf(l)),
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
  return blob(mediaType, json(doc));
}

/** OCI image index or Docker manifest list; each entry's descriptor carries its platform/annotations. */
export function makeIndex(opts: { format: ImageFormat; manifests: Descriptor[]; annotations?: Record<string, string> }): Blob {
  const mediaType = opts.format === 'oci' ? MediaType.ociIndex : MediaType.dockerManifestList;
  const doc = {
    schemaVersion: 2,
    mediaType,
    manifests: opts.manifests,
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
  return blob(mediaType, json(doc));
}

export interface ImageOptions {
  format?: ImageFormat;
  platform?: Platform;
  /** Random bytes per layer, e.g. [4096, 20000] → two layers. */
  layers: number[];
  /** Adds history with `created_by` per layer, plus this many empty_layer entries (ENV/CMD-like steps). */
  emptyLayerSteps?: number;
  annotations?: Record<string, string>;
}

/** A complete single-platform image: random layers, a matching config, and its manifest. */
export function makeImage(opts: ImageOptions): Image {
  const format = opts.format ?? 'oci';
  const platform = opts.platform ?? { architecture: 'amd64', os: 'linux' };
  const layers = opts.layers.map((n) => makeLayer(n, format));
  const history = [
    ...layers.map((l, i) => ({ created_by: `/bin/sh -c #(nop) ADD layer ${i} (${l.uncompressedSize} bytes)` })),
    ...Array.from({ length: opts.emptyLayerSteps ?? 0 }, (_, i) => ({
      created_by: `/bin/sh -c #(nop) ENV STEP=${i}`,
      empty_layer: true,
    })),
  ];
  const config = makeConfig({ ...platform, format, diffIds: layers.map((l) => l.diffId), history });
  const manifest = makeManifest({ format, config, layers, annotations: opts.annotations });
  return { manifest, config, layers, totalSize: imageSize(config, layers) };
}

export const imageSize = (config: Blob, layers: Blob[]) => layers.reduce((sum, l) => sum + l.size, config.size);

/**
 * A BuildKit-style provenance attestation for `subject`: an OCI manifest whose single
 * layer is an in-toto statement, listed in the index as platform unknown/unknown.
 */
export function makeAttestation(subject: Blob, predicateType = 'https://slsa.dev/provenance/v0.2'): Image {
  const statement = json({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType,
    subject: [{ name: 'test-image', digest: { sha256: subject.digest.slice('sha256:'.length) } }],
    predicate: { builder: { id: 'acr-size-tracker-tests' } },
  });
  const layer: Layer = { ...blob(MediaType.inToto, statement), diffId: sha256(statement), uncompressedSize: statement.length };
  const config = makeConfig({ architecture: 'unknown', os: 'unknown', diffIds: [layer.diffId] });
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: descriptorOf(config),
    layers: [{ ...descriptorOf(layer), annotations: { 'in-toto.io/predicate-type': predicateType } }],
  };
  const manifest = blob(MediaType.ociManifest, json(doc));
  return { manifest, config, layers: [layer], totalSize: imageSize(config, [layer]) };
}

export const ATTESTATION_PLATFORM: Platform = { architecture: 'unknown', os: 'unknown' };

/** Several platform images plus (by default) one attestation per platform, under one index. */
export function makeMultiPlatformImage(opts: {
  format?: ImageFormat;
  platforms: Array<{ platform: Platform; layers: number[] }>;
  attestations?: boolean;
}): MultiPlatformImage {
  const format = opts.format ?? 'oci';
  const images = opts.platforms.map((p) => ({ platform: p.platform, image: makeImage({ format, ...p }) }));
  const attestations =
    opts.attestations === false ? [] : images.map(({ image }) => ({ subjectDigest: image.manifest.digest, image: makeAttestation(image.manifest) }));
  const index = makeIndex({
    format,
    manifests: [
      ...images.map(({ platform, image }) => descriptorOf(image.manifest, { platform })),
      ...attestations.map((a) =>
        descriptorOf(a.image.manifest, {
          platform: ATTESTATION_PLATFORM,
          annotations: {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': a.subjectDigest,
          },
        }),
      ),
    ],
  });
  return { index, images, attestations };
}

// ---------------------------------------------------------------- pushing

const api = (registryUrl: string, repo: string, rest: string) => `${registryUrl.replace(/\/$/, '')}/v2/${repo}/${rest}`;

function expectStatus(res: { status: number; body: Buffer }, ok: number[], what: string): void {
  if (!ok.includes(res.status)) {
    throw new Error(`${what}: HTTP ${res.status}: ${res.body.toString().slice(0, 500)}`);
  }
}

/** Uploads a blob unless the registry already has it. Returns whether it was uploaded. */
export async function pushBlob(registryUrl: string, repo: string, b: Blob): Promise<boolean> {
  const head = await request(api(registryUrl, repo, `blobs/${b.digest}`), { method: 'HEAD', reuse: true });
  if (head.status === 200) return false;

  const start = await request(api(registryUrl, repo, 'blobs/uploads/'), { method: 'POST', reuse: true });
  expectStatus(start, [202], `start upload of ${b.digest} to ${repo}`);
  const location = header(start, 'location');
  if (!location) throw new Error(`start upload of ${b.digest}: no Location header`);
  // Location may be relative and already carries a query (_state=…).
  const put = new URL(location, registryUrl);
  put.searchParams.set('digest', b.digest);
  const done = await request(put, {
    method: 'PUT',
    reuse: true,
    headers: { 'content-type': 'application/octet-stream' },
    body: b.bytes,
  });
  expectStatus(done, [201], `upload ${b.digest} to ${repo}`);
  return true;
}

/** PUT a manifest/index by tag or digest; returns the digest the registry reports (checked against ours). */
export async function pushManifest(registryUrl: string, repo: string, manifest: Blob, reference = manifest.digest): Promise<string> {
  const res = await request(api(registryUrl, repo, `manifests/${reference}`), {
    method: 'PUT',
    reuse: true,
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
  });
  expectStatus(res, [201], `push manifest ${repo}:${reference}`);
  const digest = header(res, 'docker-content-digest');
  if (digest !== manifest.digest) {
    throw new Error(`registry computed digest ${digest} for ${repo}:${reference}, expected ${manifest.digest}`);
  }
  return digest;
}

/** The byte figures a test asserts for one pushed image manifest. */
export interface PushedImage {
  repository: string;
  digest: string;
  mediaType: string;
  /** The exact manifest bytes sent (digest = sha256 of these). */
  manifestBytes: Buffer;
  manifestSize: number;
  configDigest: string;
  configSize: number;
  layerSizes: number[];
  /** configSize + Σ layerSizes */
  totalSize: number;
}

function pushedFigures(repository: string, image: Image): PushedImage {
  return {
    repository,
    digest: image.manifest.digest,
    mediaType: image.manifest.mediaType,
    manifestBytes: image.manifest.bytes,
    manifestSize: image.manifest.size,
    configDigest: image.config.digest,
    configSize: image.config.size,
    layerSizes: image.layers.map((l) => l.size),
    totalSize: image.totalSize,
  };
}

async function pushImageBlobs(registryUrl: string, repo: string, image: Image): Promise<void> {
  for (const b of [image.config, ...image.layers]) await pushBlob(registryUrl, repo, b);
}

/** Pushes blobs, then the manifest by `tag` (or by digest when no tag is given). */
export async function pushImage(registryUrl: string, repo: string, image: Image, opts: { tag?: string } = {}): Promise<PushedImage & { tag?: string }> {
  await pushImageBlobs(registryUrl, repo, image);
  await pushManifest(registryUrl, repo, image.manifest, opts.tag ?? image.manifest.digest);
  return { ...pushedFigures(repo, image), ...(opts.tag ? { tag: opts.tag } : {}) };
}

export interface PushedMultiPlatformImage {
  repository: string;
  tag?: string;
  indexDigest: string;
  indexMediaType: string;
  indexBytes: Buffer;
  indexSize: number;
  platforms: Array<PushedImage & { platform: Platform }>;
  attestations: Array<PushedImage & { subjectDigest: string }>;
}

/** Pushes every child manifest by digest (registries reject an index whose children are missing), then the index. */
export async function pushMultiPlatformImage(
  registryUrl: string,
  repo: string,
  multi: MultiPlatformImage,
  opts: { tag?: string } = {},
): Promise<PushedMultiPlatformImage> {
  const children = [...multi.images.map((i) => i.image), ...multi.attestations.map((a) => a.image)];
  for (const image of children) {
    await pushImageBlobs(registryUrl, repo, image);
    await pushManifest(registryUrl, repo, image.manifest);
  }
  await pushManifest(registryUrl, repo, multi.index, opts.tag ?? multi.index.digest);
  return {
    repository: repo,
    ...(opts.tag ? { tag: opts.tag } : {}),
    indexDigest: multi.index.digest,
    indexMediaType: multi.index.mediaType,
    indexBytes: multi.index.bytes,
    indexSize: multi.index.size,
    platforms: multi.images.map(({ platform, image }) => ({ ...pushedFigures(repo, image), platform })),
    attestations: multi.attestations.map(({ subjectDigest, image }) => ({ ...pushedFigures(repo, image), subjectDigest })),
  };
}

/** Deletes a manifest by digest (Distribution refuses tags here); requires storage.delete.enabled. */
export async function deleteManifest(registryUrl: string, repo: string, digest: string): Promise<void> {
  const res = await request(api(registryUrl, repo, `manifests/${digest}`), { method: 'DELETE' });
  expectStatus(res, [202], `delete ${repo}@${digest}`);
}
