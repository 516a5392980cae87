/**
 * Layer analysis against its floor on the same blobs in the same run: the service's reader
 * (src/core/layerReader.ts, in a process of its own) vs `gzip -dc | tar -t` and
 * `zstd -dc | tar -t`, for a 256 MiB layer (gzip and zstd), a 1 GiB layer and a layer of
 * 100,000 small files; wall time, MiB/s of uncompressed tar, and the reader's peak RSS.
 *
 *   npm run bench -- layerAnalysis [runs=3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../test/integration/support/host';

const runs = Number(process.argv[2] ?? 3);
const MiB = 1024 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Files half random, half zeros: compresses about 2:1, like binaries and libraries do. */
function tree(dir: string, files: number, bytesEach: number): void {
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${i % 100}`);
    fs.mkdirSync(sub, { recursive: true });
    const half = Math.floor(bytesEach / 2);
    fs.writeFileSync(path.join(sub, `f${i}`), Buffer.concat([randomBytes(half), Buffer.alloc(bytesEach - half)]));
  }
}

function layer(work: string, name: string, files: number, bytesEach: number) {
  const root = path.join(work, name);
  tree(root, files, bytesEach);
  const tar = path.join(work, `${name}.tar`);
  execFileSync('tar', ['--format=pax', '--sort=name', '-C', root, '-cf', tar, '.']);
  fs.rmSync(root, { recursive: true, force: true });
  execFileSync('sh', ['-c', `gzip -c '${tar}' > '${tar}.gz' && zstd -q -c '${tar}' > '${tar}.zst'`]);
  return { tar, bytes: fs.statSync(tar).size };
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function reader(file: string, compression: 'gzip' | 'zstd' | 'none') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'bench', 'support', 'readLayerOnce.ts'), file, compression], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`reader failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as { ms: number; entries: number; uncompressedBytes: number; peakRssMiB: number };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-bench-'));
try {
  const layers = [
    { label: '256 MiB, 64 files', ...layer(work, 'l256', 64, 4 * MiB) },
    { label: '1 GiB, 256 files', ...layer(work, 'l1g', 256, 4 * MiB) },
    { label: '100,000 files of 1 KiB', ...layer(work, 'lsmall', 100_000, 1024) },
  ];
  const rows: Record<string, string | number>[] = [];
  for (const l of layers) {
    for (const [compression, ext, decompress] of [
      ['gzip', '.gz', 'gzip -dc'],
      ['zstd', '.zst', 'zstd -dc'],
    ] as const) {
      const file = l.tar + ext;
      const floor: number[] = [];
      const service: { ms: number; peakRssMiB: number; entries: number }[] = [];
      // Alternated, so a slower minute of the machine hits both alike.
      for (let i = 0; i < runs; i++) {
        floor.push(timed(() => execFileSync('sh', ['-c', `${decompress} '${file}' | tar -t > /dev/null`])));
        service.push(reader(file, compression));
      }
      const s = median(service.map((x) => x.ms));
      const f = median(floor);
      rows.push({
        layer: l.label,
        compression,
        compressed_MiB: Number((fs.statSync(file).size / MiB).toFixed(1)),
        uncompressed_MiB: Number((l.bytes / MiB).toFixed(1)),
        entries: service[0]!.entries,
        service_ms: Math.round(s),
        floor_ms: Math.round(f),
        service_MiB_per_s: Number((l.bytes / MiB / (s / 1000)).toFixed(0)),
        floor_MiB_per_s: Number((l.bytes / MiB / (f / 1000)).toFixed(0)),
        peak_rss_MiB: Math.round(Math.max(...service.map((x) => x.peakRssMiB))),
        ratio: Number((f / s).toFixed(2)),
      });
    }
  }
  console.log(
    `\nLayer analysis vs \`gzip|zstd -dc | tar -t\` (median of ${runs}, Node ${process.version}, ${os.availableParallelism()} cores; zstd via fzstd below Node 22.15):`,
  );
  console.table(rows);
  console.log(`ratios (floor time / service time): ${rows.map((r) => `${r.layer} ${r.compression} ${r.ratio}×`).join(', ')}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
