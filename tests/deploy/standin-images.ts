/**
 * Local stand-ins for the Dockerfile's base images, assembled from this machine.
 *
 * There is no registry in CI, so `oven/bun` and `distroless/cc` are replaced by images imported
 * from rootfs tarballs we build here:
 * - builder: this machine's `bun` + the shared libraries `ldd` lists, `/bin/sh`, and a copy of
 *   bun's package cache. HTTP(S)_PROXY point at a closed port, so `bun install --frozen-lockfile`
 *   must succeed from the cache alone — proving the builder stage needs no network.
 * - runtime: only the dynamic loader and the libraries `ldd` lists for bun (the compiled
 *   executable links the same set), plus /etc/passwd|group with root and nonroot (65532) like
 *   distroless, /home/nonroot owned by 65532, and /tmp.
 */
import { $ } from 'bun';
import { cpSync, mkdirSync, realpathSync, writeFileSync, chmodSync, chownSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Shared-library paths an executable links against, from `ldd`. */
export async function lddPaths(binary: string): Promise<string[]> {
  const out = await $`ldd ${binary}`.text();
  const paths = new Set<string>();
  for (const line of out.split('\n')) {
    const m = line.match(/(?:=>\s*)?(\/\S+)\s+\(0x/);
    if (m?.[1]) paths.add(m[1]);
  }
  return [...paths];
}

/** Copies `src` (following symlinks) to the same absolute path under `root`. */
function copyInto(root: string, src: string, dest = src): void {
  const target = join(root, dest);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(realpathSync(src), target);
  chmodSync(target, 0o755);
}

function baseFiles(root: string): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  mkdirSync(join(root, 'root'), { recursive: true });
}

async function importRootfs(podman: string[], root: string, tag: string, changes: string[]): Promise<void> {
  const tar = `${root}.tar`;
  await $`tar -C ${root} -cf ${tar} .`.quiet();
  const args = changes.flatMap((c) => ['--change', c]);
  await $`${podman} import ${args} ${tar} ${tag}`.quiet();
}

/** Builds and imports both stand-in images; returns their tags. */
export async function createStandinImages(
  podman: string[],
  work: string,
  opts: { bunBinary: string; bunCacheDir: string; tagSuffix: string },
): Promise<{ builder: string; runtime: string }> {
  const builderRoot = join(work, 'builder-rootfs');
  baseFiles(builderRoot);
  copyInto(builderRoot, opts.bunBinary, '/usr/local/bin/bun');
  for (const lib of await lddPaths(opts.bunBinary)) copyInto(builderRoot, lib);
  const sh = existsSync('/bin/dash') ? '/bin/dash' : '/bin/sh';
  copyInto(builderRoot, sh, '/bin/sh');
  for (const lib of await lddPaths(sh)) copyInto(builderRoot, lib);
  cpSync(opts.bunCacheDir, join(builderRoot, 'opt/bun-cache'), { recursive: true, dereference: true });

  const runtimeRoot = join(work, 'runtime-rootfs');
  baseFiles(runtimeRoot);
  // distroless ships the nonroot user's home, owned by it; the Dockerfile uses it as workdir.
  mkdirSync(join(runtimeRoot, 'home/nonroot'), { recursive: true });
  chownSync(join(runtimeRoot, 'home/nonroot'), 65532, 65532);
  for (const lib of await lddPaths(opts.bunBinary)) copyInto(runtimeRoot, lib);

  const builder = `localhost/zitauth-standin-bun:${opts.tagSuffix}`;
  const runtime = `localhost/zitauth-standin-runtime:${opts.tagSuffix}`;
  await importRootfs(podman, builderRoot, builder, [
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    'ENV BUN_INSTALL_CACHE_DIR=/opt/bun-cache',
    // Any registry request fails fast: the install must be served from the cache.
    'ENV HTTP_PROXY=http://127.0.0.1:9',
    'ENV HTTPS_PROXY=http://127.0.0.1:9',
    'ENV HOME=/root',
  ]);
  await importRootfs(podman, runtimeRoot, runtime, ['ENV PATH=/usr/local/bin:/usr/bin:/bin']);
  return { builder, runtime };
}
