/**
 * A registry with a past: repositories of tagged images pushed straight to the registry
 * (no notification reaches the service), each image's config stamped with the time it
 * was "built", so a backfill's points can be compared with webhook delivery of the same
 * pushes at the same times.
 */
import { randomBytes } from 'node:crypto';
import {
  ATTESTATION_PLATFORM,
  MediaType,
  descriptorOf,
  imageSize,
  makeAttestation,
  makeConfig,
  makeIndex,
  makeLayer,
  makeManifest,
  pushImage,
  pushManifest,
  pushBlob,
  sha256,
  type Image,
  type Layer,
  type Platform,
} from './images';

export interface HistoryPush {
  repository: string;
  tag: string;
  /** The tagged manifest (an index for the multi-platform tag). */
  digest: string;
  mediaType: string;
  /** When the image was built (its config's `created`): the time to deliver its webhook at. */
  at: string;
  kind: 'image' | 'index' | 'artifact';
}

export function imageAt(base: Layer[], ownBytes: number[], created: string, platform: Platform = { architecture: 'amd64', os: 'linux' }): Image {
  const layers = [...base, ...ownBytes.map((n) => makeLayer(n))];
  const config = makeConfig({
    ...platform,
    created,
    diffIds: layers.map((l) => l.diffId),
    history: layers.map((l, i) => ({ created_by: i < base.length ? `ADD base-${i}.tar /` : `RUN build step ${i} (${l.uncompressedSize} bytes)`, created })),
  });
  return { manifest: makeManifest({ format: 'oci', config, layers }), config, layers, totalSize: imageSize(config, layers) };
}

/** An OCI artifact whose config type is no image config: stored, never sized as an image. */
function artifact(): Image {
  const data = randomBytes(512);
  const layer: Layer = {
    mediaType: 'application/vnd.example.data.v1',
    bytes: data,
    digest: sha256(data),
    size: data.length,
    diffId: sha256(data),
    uncompressedSize: data.length,
  };
  const configBytes = Buffer.from('{}');
  const config = { mediaType: 'application/vnd.example.unknown.config.v1+json', bytes: configBytes, digest: sha256(configBytes), size: configBytes.length };
  const doc = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(config), layers: [descriptorOf(layer)] };
  const bytes = Buffer.from(JSON.stringify(doc));
  return {
    manifest: { mediaType: MediaType.ociManifest, bytes, digest: sha256(bytes), size: bytes.length },
    config,
    layers: [layer],
    totalSize: config.size + layer.size,
  };
}

export interface HistoryOptions {
  repositories: number;
  tagsPerRepository: number;
  /** Time of the first push; each later one is `stepMs` after. */
  start: number;
  stepMs?: number;
  /** The first repository's last tag is a two-platform index with attestations; the second's last tag an artifact of an unknown type. */
  specials?: boolean;
  repositoryName?: (i: number) => string;
}

/** Pushes the history, oldest first, and says what it pushed. */
export async function pushHistory(registryUrl: string, opts: HistoryOptions): Promise<HistoryPush[]> {
  const step = opts.stepMs ?? 60_000;
  const base = [makeLayer(3000)];
  const pushes: HistoryPush[] = [];
  let n = 0;
  for (let r = 0; r < opts.repositories; r++) {
    const repository = opts.repositoryName?.(r) ?? `team-${r % 4}/app-${r}`;
    for (let t = 1; t <= opts.tagsPerRepository; t++) {
      const at = new Date(opts.start + n++ * step).toISOString();
      const tag = `v${t}`;
      const last = t === opts.tagsPerRepository;
      if (opts.specials && last && r === 0) {
        const platforms = [
          { platform: { architecture: 'amd64', os: 'linux' }, image: imageAt(base, [2000 + t * 500], at, { architecture: 'amd64', os: 'linux' }) },
          {
            platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
            image: imageAt(base, [1800 + t * 500], at, { architecture: 'arm64', os: 'linux', variant: 'v8' }),
          },
        ];
        const attestations = platforms.map((p) => ({ subject: p.image.manifest.digest, image: makeAttestation(p.image.manifest) }));
        for (const child of [...platforms.map((p) => p.image), ...attestations.map((a) => a.image)]) {
          for (const b of [child.config, ...child.layers]) await pushBlob(registryUrl, repository, b);
          await pushManifest(registryUrl, repository, child.manifest);
        }
        const index = makeIndex({
          format: 'oci',
          manifests: [
            ...platforms.map((p) => descriptorOf(p.image.manifest, { platform: p.platform })),
            ...attestations.map((a) =>
              descriptorOf(a.image.manifest, {
                platform: ATTESTATION_PLATFORM,
                annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': a.subject },
              }),
            ),
          ],
        });
        await pushManifest(registryUrl, repository, index, tag);
        pushes.push({ repository, tag, digest: index.digest, mediaType: index.mediaType, at, kind: 'index' });
        continue;
      }
      if (opts.specials && last && r === 1) {
        const a = artifact();
        const pushed = await pushImage(registryUrl, repository, a, { tag });
        pushes.push({ repository, tag, digest: pushed.digest, mediaType: pushed.mediaType, at, kind: 'artifact' });
        continue;
      }
      // Each tag grows the image a little: growth the rules see against the previous tag.
      const image = imageAt(base, [2000 + t * 500 + r], at);
      const pushed = await pushImage(registryUrl, repository, image, { tag });
      pushes.push({ repository, tag, digest: pushed.digest, mediaType: pushed.mediaType, at, kind: 'image' });
    }
  }
  return pushes;
}
