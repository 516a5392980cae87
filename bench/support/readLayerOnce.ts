/**
 * Reads one layer file with the service's reader, in a process of its own so its peak RSS
 * is the reader's: prints {ms, entries, uncompressedBytes, peakRssMiB} as JSON.
 *
 *   tsx bench/support/readLayerOnce.ts FILE gzip|zstd|none
 */
import fs from 'node:fs';
import { readLayer, type TarCompression } from '../../src/core/layerReader';

const [file, compression] = process.argv.slice(2) as [string, TarCompression];
async function main() {
  const started = performance.now();
  const index = await readLayer(fs.createReadStream(file, { highWaterMark: 256 * 1024 }), compression);
  const ms = performance.now() - started;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
  console.log(JSON.stringify({ ms, entries: index.entries.length, uncompressedBytes: index.uncompressedBytes, peakRssMiB: Number(hwm) / 1024 }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
