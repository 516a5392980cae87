import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { parseManifest, ParsedManifestSchema, platformString, type ParsedManifest } from '../../src/core/manifest';
import { MediaType } from '../../src/core/mediaTypes';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

const ociManifest = {
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: { mediaType: MediaType.ociConfig, digest: d(1), size: 1469 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(2), size: 3_000_000 },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: d(3), size: 5_000_000_000 },
  ],
};

describe('parseManifest', () => {
  it('reads an OCI image manifest with exact layer sizes, including one over 4 GiB', () => {
    const m = parseManifest(JSON.stringify(ociManifest), MediaType.ociManifest);
    expect(m).toEqual({
      kind: 'image',
      mediaType: MediaType.ociManifest,
      config: { digest: d(1), mediaType: MediaType.ociConfig, sizeBytes: 1469 },
      layers: [
        { digest: d(2), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', sizeBytes: 3_000_000, foreign: false },
        { digest: d(3), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', sizeBytes: 5_000_000_000, foreign: false },
      ],
    });
  });

  it('reads a Docker v2 manifest and flags foreign layers', () => {
    const docker = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: d(1), size: 100 },
      layers: [
        { mediaType: MediaType.dockerForeignLayer, digest: d(2), size: 1_500_000_000, urls: ['https://mcr.microsoft.com/v2/x/blobs/' + d(2)] },
        { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d(3), size: 42 },
        { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: d(4), size: 7 },
      ],
    };
    const m = parseManifest(Buffer.from(JSON.stringify(docker)), MediaType.dockerManifest);
    expect(m.kind).toBe('image');
    if (m.kind !== 'image') return;
    expect(m.layers.map((l) => l.foreign)).toEqual([true, false, true]);
    expect(m.mediaType).toBe(MediaType.dockerManifest);
  });

  it('prefers the served content type, and infers OCI types when both are absent', () => {
    const { mediaType: _omit, ...bare } = ociManifest;
    expect(parseManifest(JSON.stringify(bare)).mediaType).toBe(MediaType.ociManifest);
    expect(parseManifest(JSON.stringify(bare), 'application/json').mediaType).toBe(MediaType.ociManifest);
    expect(parseManifest(JSON.stringify({ schemaVersion: 2, manifests: [] })).kind).toBe('index');
  });

  it('reads an OCI index, marking attestation manifests and keeping platforms with variants', () => {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { mediaType: MediaType.ociManifest, digest: d(10), size: 500, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MediaType.ociManifest, digest: d(11), size: 501, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        {
          mediaType: MediaType.ociManifest,
          digest: d(12),
          size: 566,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d(10) },
        },
        { mediaType: MediaType.ociManifest, digest: d(13), size: 1 },
      ],
    };
    const m = parseManifest(JSON.stringify(index), MediaType.ociIndex);
    expect(m).toEqual({
      kind: 'index',
      mediaType: MediaType.ociIndex,
      manifests: [
        { digest: d(10), mediaType: MediaType.ociManifest, sizeBytes: 500, platform: 'linux/amd64', attestation: false },
        { digest: d(11), mediaType: MediaType.ociManifest, sizeBytes: 501, platform: 'linux/arm64/v8', attestation: false },
        { digest: d(12), mediaType: MediaType.ociManifest, sizeBytes: 566, platform: 'unknown/unknown', attestation: true },
        { digest: d(13), mediaType: MediaType.ociManifest, sizeBytes: 1, attestation: false },
      ],
    });
  });

  it('treats unknown/unknown as an attestation even without the annotation, and the annotation alone too', () => {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifestList,
      manifests: [
        { mediaType: MediaType.dockerManifest, digest: d(1), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
        {
          mediaType: MediaType.dockerManifest,
          digest: d(2),
          size: 1,
          platform: { os: 'linux', architecture: 'amd64' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
        { mediaType: MediaType.dockerManifest, digest: d(3), size: 1, platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.1' } },
      ],
    };
    const m = parseManifest(JSON.stringify(index), MediaType.dockerManifestList);
    expect(m.kind === 'index' && m.manifests.map((e) => e.attestation)).toEqual([true, true, false]);
    expect(m.kind === 'index' && m.manifests[2]!.platform).toBe('windows/amd64');
  });

  it('records schema 1 as unsupported with a reason, by media type or by schemaVersion', () => {
    const byType = parseManifest(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }), MediaType.dockerSchema1Signed);
    expect(byType).toMatchObject({ kind: 'unsupported', mediaType: MediaType.dockerSchema1Signed });
    expect(byType.kind === 'unsupported' && byType.reason).toMatch(/schema 1/);
    expect(parseManifest(JSON.stringify({ schemaVersion: 1 }))).toMatchObject({ kind: 'unsupported', mediaType: MediaType.dockerSchema1 });
  });

  it('records unknown media types, bad JSON and malformed manifests as unsupported instead of throwing', () => {
    expect(parseManifest('{}', 'application/vnd.cncf.oras.artifact.manifest.v1+json')).toEqual({
      kind: 'unsupported',
      mediaType: 'application/vnd.cncf.oras.artifact.manifest.v1+json',
      reason: 'unsupported manifest media type "application/vnd.cncf.oras.artifact.manifest.v1+json"',
    });
    expect(parseManifest('not json', MediaType.ociManifest)).toMatchObject({ kind: 'unsupported', reason: 'manifest is not valid JSON' });
    expect(parseManifest('[1]', MediaType.ociManifest)).toMatchObject({ kind: 'unsupported', reason: 'manifest is not a JSON object' });
    const negative = { ...ociManifest, layers: [{ mediaType: 'x', digest: d(2), size: -1 }] };
    expect(parseManifest(JSON.stringify(negative), MediaType.ociManifest)).toMatchObject({
      kind: 'unsupported',
      reason: expect.stringMatching(/^malformed image manifest: layers\.0\.size/),
    });
    const badDigest = { ...ociManifest, config: { ...ociManifest.config, digest: 'nope' } };
    expect(parseManifest(JSON.stringify(badDigest), MediaType.ociManifest)).toMatchObject({
      kind: 'unsupported',
      reason: expect.stringMatching(/config\.digest: not a digest/),
    });
  });

  it('formats platforms as os/arch[/variant]', () => {
    expect(platformString({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
    expect(platformString({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
  });
});

describe('ParsedManifestSchema', () => {
  it('describes ParsedManifest field for field, so reading through it drops nothing', () => {
    expectTypeOf<z.output<typeof ParsedManifestSchema>>().toEqualTypeOf<ParsedManifest>();
  });

  it('reads back every kind of parse result unchanged, and refuses a record of no known kind', () => {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [{ mediaType: MediaType.ociManifest, digest: d(10), size: 500, platform: { os: 'linux', architecture: 'amd64' } }],
    };
    const results = [
      parseManifest(JSON.stringify(ociManifest), MediaType.ociManifest),
      parseManifest(JSON.stringify(index), MediaType.ociIndex),
      parseManifest('not json', MediaType.ociManifest),
    ];
    expect(results.map((r) => r.kind)).toEqual(['image', 'index', 'unsupported']);
    for (const r of results) expect(ParsedManifestSchema.parse(r)).toEqual(r);
    expect(ParsedManifestSchema.safeParse({ kind: 'chart', mediaType: 'x' }).success).toBe(false);
    expect(ParsedManifestSchema.safeParse({ ...results[0], layers: [{ digest: d(2), sizeBytes: '3000000' }] }).success).toBe(false);
  });
});
