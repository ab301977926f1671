/**
 * Validates docker-compose.yaml offline with `docker-compose config` (Debian's docker-compose
 * 1.29, which resolves variables, anchors and merges without a daemon) and checks the stack's
 * wiring: services, health checks, dependency conditions and order, the PAT hand-over volume.
 * The two-replica override is checked in compose-replicas.test.ts.
 */
import { systemTool } from '../support/system-tool.ts';
import { beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeConfig, flag, mountAt, ROOT, type Service } from './compose-support.ts';

/** Services in an order that respects depends_on (throws on cycles). */
function startOrder(services: Record<string, Service>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`dependency cycle at ${name}`);
    state.set(name, 'visiting');
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) visit(dep);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name);
  return order;
}

const hasCompose = systemTool('docker-compose', 'docker-compose', 'tests/deploy/compose.test.ts');

describe.skipIf(!hasCompose)('docker-compose.yaml', () => {
  let services: Record<string, Service>;
  let volumes: Record<string, unknown>;

  beforeAll(async () => {
    expect(Bun.which('docker-compose'), 'docker-compose is required: apt-get install -y docker-compose').not.toBeNull();
    // An empty env file: the defaults in the YAML alone must give a valid stack (and no stray
    // ./.env of the developer leaks into the check).
    const dir = mkdtempSync(join(tmpdir(), 'zitauth-compose-'));
    try {
      const empty = join(dir, 'empty.env');
      writeFileSync(empty, '');
      ({ services, volumes } = await composeConfig(empty));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('has the expected services', () => {
    expect(Object.keys(services).sort()).toEqual(['db', 'provision', 'volume-init', 'zitadel', 'zitauth']);
  });

  test('Zitadel v4 starts from init with the master key from the environment, TLS off, login v1', () => {
    const z = services.zitadel!;
    expect(z.image).toMatch(/^ghcr\.io\/zitadel\/zitadel:v4\.\d+\.\d+$/);
    expect(z.command).toEqual(['start-from-init', '--masterkeyFromEnv', '--tlsMode', 'disabled']);
    // `zitadel ready` picks http only with TLS disabled in the configuration, not by the flag.
    expect(z.environment?.ZITADEL_TLS_ENABLED).toBe('false');
    // Without the separate login container the instance must not require login v2.
    expect(z.environment?.ZITADEL_DEFAULTINSTANCE_FEATURES_LOGINV2_REQUIRED).toBe('false');
    expect(z.environment?.ZITADEL_EXTERNALSECURE).toBe('false');
    expect(z.environment?.ZITADEL_MASTERKEY).toHaveLength(32);
    expect(z.environment?.ZITADEL_DATABASE_POSTGRES_HOST).toBe('db');
    expect(z.user).toBe('65532:65532');
  });

  test('the first-instance machine user PAT is handed to provision through a shared volume', () => {
    const env = services.zitadel!.environment!;
    expect(env.ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_USERNAME).toBeTruthy();
    expect(env.ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_NAME).toBeTruthy();
    expect(Date.parse(env.ZITADEL_FIRSTINSTANCE_ORG_MACHINE_PAT_EXPIRATIONDATE ?? '')).toBeGreaterThan(0);
    const patPath = env.ZITADEL_FIRSTINSTANCE_PATPATH!;
    expect(patPath).toBe('/bootstrap/admin.pat');

    const vol = mountAt(services.zitadel, '/bootstrap');
    expect(vol).toBe('zitadel-bootstrap');
    expect(Object.keys(volumes)).toContain(vol!);
    expect(mountAt(services.provision, '/bootstrap')).toBe(vol!);
    expect(services.provision!.volumes).toContain('zitadel-bootstrap:/bootstrap:ro');
    expect(services.provision!.command?.[0]).toBe('provision');
    expect(flag(services.provision!.command, 'pat-file')).toBe(patPath);
    // the volume is made writable for uid 65532 before Zitadel starts
    expect(mountAt(services['volume-init'], '/bootstrap')).toBe(vol!);
  });

  test('provision writes .env where zitauth reads it, with matching URLs', () => {
    const outDir = flag(services.provision!.command, 'out-dir');
    expect(outDir).toBe('/home/nonroot'); // the image WORKDIR: the binary reads ./.env from there
    const stateVol = mountAt(services.provision, outDir!);
    expect(stateVol).toBe('zitauth-state');
    expect(mountAt(services.zitauth, outDir!)).toBe(stateVol!);
    const zitadelUrl = flag(services.provision!.command, 'zitadel')!;
    const z = services.zitadel!.environment!;
    expect(zitadelUrl).toBe(`http://${z.ZITADEL_EXTERNALDOMAIN}:${z.ZITADEL_EXTERNALPORT}`);
    expect(flag(services.provision!.command, 'redirect-url')).toBe('http://localhost:8000/api/v1/callback');
    expect(flag(services.provision!.command, 'tos-link')).toBeTruthy();
    expect(flag(services.provision!.command, 'privacy-link')).toBeTruthy();
    expect(services.zitauth!.environment?.ZITAUTH_SERVE_SPA).toBe('true');
  });

  test('ZitAuth and provision are built from the Dockerfile and share Zitadel\'s network', () => {
    for (const name of ['zitauth', 'provision']) {
      const s = services[name]!;
      expect(s.build?.context).toBe(ROOT);
      expect(s.build?.dockerfile).toBe('Dockerfile');
      expect(s.build?.args?.BUN_IMAGE).toBe('oven/bun:1.4');
      expect(s.build?.args?.RUNTIME_IMAGE).toBe('gcr.io/distroless/cc-debian12');
      expect(s.network_mode).toBe('service:zitadel');
    }
    expect(services.zitauth!.image).toBe(services.provision!.image!);
    const published = (services.zitadel!.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.published}:${p.target}`));
    expect(published.some((p) => p.endsWith('8080:8080'))).toBe(true);
    expect(published.some((p) => p.endsWith('8000:8000'))).toBe(true);
  });

  test('long-running services have health checks', () => {
    expect(services.db!.healthcheck?.test).toEqual(['CMD', 'pg_isready', '-U', 'postgres', '-d', 'postgres']);
    expect(services.zitadel!.healthcheck?.test).toEqual(['CMD', '/app/zitadel', 'ready']);
    expect(services.zitauth!.healthcheck?.test).toEqual(['CMD', '/usr/local/bin/zitauth', 'healthcheck']);
  });

  test('dependencies wait for health / completion, in the right order', () => {
    expect(services.zitadel!.depends_on).toEqual({
      db: { condition: 'service_healthy' },
      'volume-init': { condition: 'service_completed_successfully' },
    });
    expect(services.provision!.depends_on).toEqual({ zitadel: { condition: 'service_healthy' } });
    expect(services.zitauth!.depends_on).toEqual({
      zitadel: { condition: 'service_healthy' },
      provision: { condition: 'service_completed_successfully' },
    });
    const order = startOrder(services);
    const at = (n: string) => order.indexOf(n);
    expect(at('db')).toBeLessThan(at('zitadel'));
    expect(at('volume-init')).toBeLessThan(at('zitadel'));
    expect(at('zitadel')).toBeLessThan(at('provision'));
    expect(at('provision')).toBeLessThan(at('zitauth'));
  });

  test('deploy/compose.env is valid and overrides the defaults', async () => {
    const envText = readFileSync(join(ROOT, 'deploy/compose.env'), 'utf8');
    expect(envText).toContain('ZITADEL_MASTERKEY=');
    // The env file pins the same Zitadel as the YAML's default.
    expect((await composeConfig(join(ROOT, 'deploy/compose.env'))).services.zitadel!.image).toBe(services.zitadel!.image!);
    const dir = mkdtempSync(join(tmpdir(), 'zitauth-compose-'));
    try {
      const custom = join(dir, 'custom.env');
      writeFileSync(custom, `${envText}\nZITADEL_MASTERKEY=0123456789abcdef0123456789abcdef\nZITADEL_IMAGE=ghcr.io/zitadel/zitadel:v4.13.0\n`);
      const cfg = await composeConfig(custom);
      expect(cfg.services.zitadel!.environment?.ZITADEL_MASTERKEY).toBe('0123456789abcdef0123456789abcdef');
      expect(cfg.services.zitadel!.image).toBe('ghcr.io/zitadel/zitadel:v4.13.0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
