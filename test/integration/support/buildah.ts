/**
 * Real builds: Debian's buildah (as root, chroot isolation, vfs storage in a throwaway
 * root) builds a Dockerfile and pushes the result to the test registry over TLS, so the
 * service sees exactly the manifests, configs and history a team's builds produce.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { testTls } from './tls';

const run = promisify(execFile);

export interface Builder {
  /** Builds `dockerfile` with `files` as the context; `layers: true` keeps one layer per step (buildah's --layers). */
  build(name: string, dockerfile: string, files: Record<string, Buffer | string>, opts?: { layers?: boolean }): Promise<void>;
  /** Pushes a built image to `registry` (host:port) as `repository:tag`; returns the manifest digest. */
  push(name: string, registry: string, repository: string, tag: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function startBuilder(): Promise<Builder> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'test-buildah-'));
  const storage = ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run'), '--storage-driver', 'vfs'];
  // Only the CA: containers/image reads *.crt as CAs and insists on a .cert for every .key.
  const certDir = path.join(work, 'certs');
  fs.mkdirSync(certDir);
  fs.copyFileSync(testTls().caCert, path.join(certDir, 'ca.crt'));
  const buildah = async (...args: string[]) => {
    try {
      return (await run('buildah', [...storage, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`buildah ${args.join(' ')} failed: ${err.stderr ?? err.message}`, { cause: e });
    }
  };
  return {
    async build(name, dockerfile, files, opts = {}) {
      const context = fs.mkdtempSync(path.join(work, 'context-'));
      fs.writeFileSync(path.join(context, 'Dockerfile'), dockerfile);
      for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
        fs.writeFileSync(path.join(context, file), content, { mode: 0o755 });
      }
      await buildah('bud', '--isolation', 'chroot', ...(opts.layers ? ['--layers'] : []), '-t', name, context);
    },
    async push(name, registry, repository, tag) {
      const digestFile = path.join(work, `digest-${Date.now()}-${Math.random()}`);
      await buildah('push', '--cert-dir', certDir, '--digestfile', digestFile, name, `docker://${registry}/${repository}:${tag}`);
      return fs.readFileSync(digestFile, 'utf8').trim();
    },
    async cleanup() {
      await buildah('rm', '--all').catch(() => undefined);
      // vfs layers are plain directories; removing the root frees them.
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
