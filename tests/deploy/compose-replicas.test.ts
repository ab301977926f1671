/**
 * The two-replica override (deploy/compose.replicas.yaml) checked offline, with the real parts
 * that run here: `docker-compose config` renders it on top of docker-compose.yaml; its secrets
 * script runs (sh) into temporary directories standing in for the volumes; the replicas'
 * rendered environment goes through the gateway's own configuration loader; a real redis-server
 * loads the generated ACL file and the replicas' stores work through it; a real nginx runs its
 * configuration (ports moved to free ones) in front of two loopback servers. Containers cannot
 * run here, so images, entrypoints and Docker's DNS are not exercised.
 */
import { systemTool } from '../support/system-tool.ts';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { $ } from 'bun';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, readEnvironment, ConfigError } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { EnvSchema } from '../../src/config/schema.ts';
import { newCookieSecret, newM2mApiKey, renderDotenv } from '../../src/provision/output.ts';
import { createStores } from '../../src/store/index.ts';
import type { Stores } from '../../src/store/index.ts';
import { findNginx, startNginx, type RunningNginx } from '../proxy/nginx-runner.ts';
import { haveRedis, startRedis, type RedisServer } from '../support/redis.ts';
import { freePort } from '../support/stack.ts';
import { composeConfig, flag, mountAt, ROOT, type Service } from './compose-support.ts';

const FILES = ['docker-compose.yaml', 'deploy/compose.replicas.yaml'];
const REPLICAS = ['zitauth', 'zitauth-2'] as const;
const hasCompose = systemTool('docker-compose', 'docker-compose', 'tests/deploy/compose-replicas.test.ts');

/** The docs' least-privilege user (docs/deployment.md, "Redis/Valkey") as an ACL file line, for `passwordRule`. */
function documentedAclLine(passwordRule: string): string {
  const docs = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
  const line = docs.split('\n').find((l) => l.startsWith('ACL SETUSER zitauth '));
  if (line === undefined) throw new Error('docs/deployment.md lost its ACL SETUSER zitauth line');
  const rules = line.split(' ').slice(2);
  expect(rules).toContain('>change-me');
  return `user ${rules.map((r) => (r === '>change-me' ? passwordRule : r)).join(' ')}`;
}

/** Published ports as "published:target", sorted (the renderer's order is not stable). */
const portsOf = (s: Service | undefined) => (s?.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.published}:${p.target}`)).sort();

describe.skipIf(!hasCompose)('deploy/compose.replicas.yaml (two replicas, Valkey, nginx)', () => {
  let base: Record<string, Service>;
  let services: Record<string, Service>;
  let volumes: Record<string, unknown>;
  const work = mkdtempSync(join(tmpdir(), 'zitauth-replicas-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    const empty = join(work, 'empty.env');
    writeFileSync(empty, '');
    base = (await composeConfig(empty)).services;
    ({ services, volumes } = await composeConfig(empty, FILES));
  });

  /** A directory standing in for each named volume. */
  const volumeDir = (name: string): string => {
    const dir = join(work, 'volumes', name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  /** A container path of `svc` → the stand-in directory of the volume mounted above it. */
  const hostPath = (svc: Service, path: string): string => {
    for (const v of svc.volumes ?? []) {
      const [source, target] = v.split(':') as [string, string];
      if (path === target || path.startsWith(`${target}/`)) return join(volumeDir(source), path.slice(target.length));
    }
    throw new Error(`${path} is on no volume of the service`);
  };
  const runInitSecrets = async () => {
    const s = services['secrets-init']!;
    const script = mountAt(s, '/init-secrets.sh')!;
    const dirs = (s.command ?? []).slice(1).map((p) => hostPath(s, p));
    const res = await $`sh ${script} ${dirs}`.quiet().nothrow();
    if (res.exitCode !== 0) throw new Error(`init-secrets.sh failed: ${res.stderr}`);
    return { out: res.stdout.toString(), gatewayDir: dirs[0]!, valkeyDir: dirs[1]! };
  };

  test('renders on top of the default stack: the same services plus secrets-init, valkey, zitauth-2, nginx', () => {
    expect(Object.keys(services).sort()).toEqual([...Object.keys(base), 'nginx', 'secrets-init', 'valkey', 'zitauth-2'].sort());
    expect(Object.keys(volumes).sort()).toEqual(['pgdata', 'valkey-config', 'zitadel-bootstrap', 'zitauth-secrets', 'zitauth-state']);
    // Untouched: the IdP side of the stack is the default one.
    for (const name of ['db', 'volume-init', 'zitadel']) {
      expect({ ...services[name], ports: portsOf(services[name]) }).toEqual({ ...base[name], ports: portsOf(base[name]) });
    }
  });

  test('both replicas: one image and build, session mode on the Redis store, the same files, their own port', () => {
    const [a, b] = REPLICAS.map((n) => services[n]!);
    expect(b!.build).toEqual(a!.build!);
    expect(b!.image).toBe(a!.image!);
    expect(a!.image).toBe(base.zitauth!.image!);
    for (const s of [a!, b!]) {
      expect(s.network_mode).toBe('service:zitadel');
      expect(s.command).toEqual(['serve']);
      expect(s.healthcheck?.test).toEqual(base.zitauth!.healthcheck!.test);
      expect(s.environment?.ZITAUTH_LOGIN_MODE).toBe('session');
      expect(s.environment?.ZITAUTH_SESSION_STORE).toBe('redis');
      // The provision .env and both secret files, from the same volumes.
      expect(mountAt(s, '/home/nonroot')).toBe('zitauth-state');
      expect(mountAt(s, '/run/zitauth')).toBe('zitauth-secrets');
      expect(s.depends_on).toMatchObject({
        provision: { condition: 'service_completed_successfully' },
        'secrets-init': { condition: 'service_completed_successfully' },
        valkey: { condition: 'service_healthy' },
      });
    }
    const { PORT: pa, ...restA } = a!.environment!;
    const { PORT: pb, ...restB } = b!.environment!;
    expect(restB).toEqual(restA);
    expect([pa, pb]).toEqual(['8001', '8002']);
    expect(restA.ZITAUTH_COOKIE_SECRET_FILE).toStartWith('/run/zitauth/');
    expect(restA.ZITAUTH_REDIS_URL_FILE).toStartWith('/run/zitauth/');
    // The replicas may only read the secrets; secrets-init writes them into the same volume.
    expect(a!.volumes).toContain('zitauth-secrets:/run/zitauth:ro');
    expect(b!.volumes).toContain('zitauth-secrets:/run/zitauth:ro');
  });

  test('provision: the default command plus --backchannel-logout (the URL nginx serves)', () => {
    expect(services.provision!.command).toEqual([...base.provision!.command!, '--backchannel-logout']);
    expect(new URL(flag(services.provision!.command, 'redirect-url')!).port).toBe('8000');
  });

  test('secrets-init: runs the mounted script as root into both volumes before Valkey and the replicas start', () => {
    const s = services['secrets-init']!;
    expect(existsSync(mountAt(s, '/init-secrets.sh')!)).toBe(true);
    expect(s.user).toBe('0:0');
    expect(s.restart).toBe('no');
    expect(s.image).toBe(services.valkey!.image!);
    expect(s.command?.slice(1).map((p) => mountAt(s, p))).toEqual(['zitauth-secrets', 'valkey-config']);
    expect(services.valkey!.depends_on).toEqual({ 'secrets-init': { condition: 'service_completed_successfully' } });
  });

  test('valkey: the official image at a pinned version, no persistence, the ACL file from its volume, a health check without a password', () => {
    const v = services.valkey!;
    expect(v.image).toMatch(/^valkey\/valkey:\d+\.\d+\.\d+-alpine$/);
    const cmd = v.command!;
    expect(cmd[0]).toBe('valkey-server');
    const arg = (name: string) => cmd[cmd.indexOf(name) + 1];
    expect(arg('--save')).toBe('');
    expect(arg('--appendonly')).toBe('no');
    const acl = arg('--aclfile')!;
    expect(mountAt(v, acl.slice(0, acl.lastIndexOf('/')))).toBe('valkey-config');
    expect(v.volumes).toContain('valkey-config:/etc/valkey:ro');
    expect(v.ports).toBeUndefined(); // reached by the replicas only, on the compose network
    expect(v.healthcheck?.test).toEqual(['CMD-SHELL', 'valkey-cli ping | grep -q PONG']);
  });

  test('nginx: in zitadel\'s network namespace on the published port 8000, after both replicas are healthy', () => {
    const n = services.nginx!;
    expect(n.image).toMatch(/^nginx:\d+\.\d+\.\d+-alpine$/);
    expect(n.network_mode).toBe('service:zitadel');
    expect(n.depends_on).toEqual({ zitauth: { condition: 'service_healthy' }, 'zitauth-2': { condition: 'service_healthy' } });
    const conf = mountAt(n, '/etc/nginx/conf.d/default.conf')!;
    expect(existsSync(conf)).toBe(true);
    const text = readFileSync(conf, 'utf8');
    const upstream = /upstream zitauth_replicas\s*\{([^}]*)\}/.exec(text)?.[1] ?? '';
    const servers = [...upstream.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]);
    expect(servers).toEqual(REPLICAS.map((r) => `127.0.0.1:${services[r]!.environment!.PORT}`));
    expect(/^\s*listen\s+(\d+);/m.exec(text)?.[1]).toBe('8000');
    expect(portsOf(services.zitadel)).toContain('8000:8000');
  });

  test('deploy/compose.env pins the same Valkey and nginx images as the override\'s defaults', async () => {
    const withEnv = await composeConfig(join(ROOT, 'deploy/compose.env'), FILES);
    expect(withEnv.services.valkey!.image).toBe(services.valkey!.image!);
    expect(withEnv.services.nginx!.image).toBe(services.nginx!.image!);
    expect(withEnv.services['zitauth-2']!.image).toBe(services.zitauth!.image!);
  });

  test('init-secrets.sh: creates the secrets once (modes, formats), a re-run keeps them, the ACL is the documented one', async () => {
    const first = await runInitSecrets();
    expect(first.out).toContain('created the shared cookie secret');
    const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
    const cookie = read(first.gatewayDir, 'cookie-secret');
    const url = read(first.gatewayDir, 'redis-url');
    const acl = read(first.valkeyDir, 'users.acl');
    expect(cookie).toMatch(/^[0-9a-f]{64}$/);
    const m = /^redis:\/\/zitauth:([0-9a-f]{64})@valkey:6379\/0$/.exec(url);
    expect(m).not.toBeNull();
    expect(cookie).not.toBe(m![1]!);
    // The password's hash, never the password, sits in the world-readable ACL file.
    expect(acl).not.toContain(m![1]!);
    const lines = acl.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('user default reset on nopass +ping');
    expect(lines[1]).toBe(documentedAclLine(`#${createHash('sha256').update(m![1]!).digest('hex')}`));
    // The key pattern is the gateway's default prefix.
    expect(lines[1]!.split(' ')).toContain(`~${EnvSchema.properties.ZITAUTH_REDIS_PREFIX.default}*`);
    expect(statSync(join(first.gatewayDir, 'cookie-secret')).mode & 0o777).toBe(0o400);
    expect(statSync(join(first.gatewayDir, 'redis-url')).mode & 0o777).toBe(0o400);
    expect(statSync(join(first.valkeyDir, 'users.acl')).mode & 0o777).toBe(0o444);
    expect(statSync(first.gatewayDir).mode & 0o777).toBe(0o700);
    if (process.getuid?.() === 0) expect(statSync(join(first.gatewayDir, 'cookie-secret')).uid).toBe(65532);

    const again = await runInitSecrets();
    expect(again.out).toBe('');
    expect(read(first.gatewayDir, 'cookie-secret')).toBe(cookie);
    expect(read(first.gatewayDir, 'redis-url')).toBe(url);
    expect(read(first.valkeyDir, 'users.acl')).toBe(acl);

    // A lost ACL file: a new password for both, so they still agree; the cookie secret stays.
    rmSync(join(first.valkeyDir, 'users.acl'));
    await runInitSecrets();
    const url2 = read(first.gatewayDir, 'redis-url');
    expect(url2).not.toBe(url);
    const pw2 = /zitauth:([0-9a-f]{64})@/.exec(url2)![1]!;
    expect(read(first.valkeyDir, 'users.acl')).toContain(`#${createHash('sha256').update(pw2).digest('hex')}`);
    expect(read(first.gatewayDir, 'cookie-secret')).toBe(cookie);
  });

  describe('the replicas\' configuration, through the gateway\'s loader', () => {
    let envFile: string;
    let configs: Config[];
    beforeAll(async () => {
      await runInitSecrets();
      // The .env provision writes into the zitauth-state volume (its managed keys, from its flags).
      const p = services.provision!;
      const stateDir = hostPath(p, flag(p.command, 'out-dir')!);
      writeFileSync(join(stateDir, 'introspection-key.json'), '{}');
      envFile = join(stateDir, '.env');
      writeFileSync(
        envFile,
        renderDotenv(['as zitauth provision writes it'], [
          ['ZITADEL_DOMAIN', flag(p.command, 'zitadel')!],
          ['ZITADEL_CLIENT_ID', '312345678901234567'],
          ['ZITADEL_REDIRECT_URL', flag(p.command, 'redirect-url')!],
          ['SPA_ORIGIN', flag(p.command, 'spa-origin')!],
          ['SERVICE_ACCOUNT_FILE', join(stateDir, 'service-account.json')],
          ['ZITAUTH_PROJECT_ID', '312345678901234568'],
          ['ZITAUTH_AUDIENCE', '312345678901234567,312345678901234568'],
          ['ZITAUTH_INTROSPECTION_KEY_FILE', join(stateDir, 'introspection-key.json')],
          ['ZITAUTH_POST_LOGOUT_REDIRECT_URIS', `${flag(p.command, 'spa-origin')}/`],
          ['ZITAUTH_COOKIE_SECRET', newCookieSecret()],
          ['ZITAUTH_M2M_API_KEYS', newM2mApiKey().stored],
        ]),
      );
      configs = REPLICAS.map((r) => loadConfig(readEnvironment(replicaEnv(r), envFile)));
    });

    /** A replica's rendered environment with its container paths moved onto the stand-in volumes. */
    const replicaEnv = (name: string, edit: (env: Record<string, string>) => void = () => {}) => {
      const s = services[name]!;
      const env = { ...s.environment! };
      for (const [k, v] of Object.entries(env)) if (k.endsWith('_FILE')) env[k] = hostPath(s, v);
      edit(env);
      return env;
    };

    test('both load without a problem: session mode, the Redis store, one cookie secret, one URL', () => {
      const [a, b] = configs as [Config, Config];
      const secrets = hostPath(services.zitauth!, '/run/zitauth');
      for (const c of [a, b]) {
        expect(c.loginMode).toBe('session');
        expect(c.store.kind).toBe('redis');
        expect(c.cookieSecretGenerated).toBe(false);
        expect(c.cookieSecret).toBe(readFileSync(join(secrets, 'cookie-secret'), 'utf8'));
        // Plain http is accepted for the loopback origin only (the cookie cannot be Secure).
        expect(c.session.secureCookie).toBe(false);
      }
      expect(b.cookieSecret).toBe(a.cookieSecret);
      expect(b.store).toEqual(a.store);
      expect(a.store.kind === 'redis' && a.store.target).toBe('redis://valkey:6379/0');
      expect([a.port, b.port]).toEqual([8001, 8002]);
      // provision's .env secret is masked, not used: the file wins on every replica.
      expect(a.cookieSecret).not.toBe(readEnvironment({}, envFile).ZITAUTH_COOKIE_SECRET);
    });

    test('without the empty ZITAUTH_COOKIE_SECRET the .env\'s secret would clash with the file', () => {
      const env = replicaEnv('zitauth', (e) => delete e.ZITAUTH_COOKIE_SECRET);
      let err: unknown;
      try {
        loadConfig(readEnvironment(env, envFile));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toContain('set only one of ZITAUTH_COOKIE_SECRET and ZITAUTH_COOKIE_SECRET_FILE');
    });

    describe.skipIf(!haveRedis('tests/deploy/compose-replicas.test.ts'))('with a real redis-server on the generated ACL file', () => {
      let redis: RedisServer | undefined;
      let port: number;
      const opened: Stores[] = [];
      beforeAll(async () => {
        const v = services.valkey!;
        const cmd = v.command!;
        const aclFile = hostPath(v, cmd[cmd.indexOf('--aclfile') + 1]!);
        redis = await startRedis({ args: ['--aclfile', aclFile] });
        port = redis.port;
      });
      afterAll(async () => {
        for (const s of opened) await s.close();
        await redis?.close();
      });

      /** A replica's stores, dialling this redis-server where the container would dial "valkey". */
      const storesOf = (c: Config) => {
        if (c.store.kind !== 'redis') throw new Error('not the Redis store');
        const s = createStores({ ...c, store: { ...c.store, url: c.store.url.replace('@valkey:6379/', `@127.0.0.1:${port}/`) } });
        opened.push(s);
        return s;
      };

      test('the compose health check passes with no password: the default user may PING and nothing else', async () => {
        const check = services.valkey!.healthcheck!.test[1]!.replaceAll('valkey-cli', `redis-cli -p ${port}`);
        expect((await $`sh -c ${check}`.quiet().nothrow()).exitCode).toBe(0);
        const get = await $`redis-cli -p ${port} get zitauth:x`.quiet().nothrow();
        expect(get.stdout.toString()).toContain('NOPERM');
      });

      test('state written through one replica is seen by the other (a replayed callback is refused)', async () => {
        const [a, b] = (configs as [Config, Config]).map(storesOf) as [Stores, Stores];
        expect(await a.healthy()).toBe(true);
        expect(await b.healthy()).toBe(true);
        const key = `login-state:山田太郎-🔑-"\r\n`;
        expect(await a.once.claim(key, 60_000)).toBe(true);
        expect(await b.once.claim(key, 60_000)).toBe(false);
        await a.sessions.put('k-管理者', 'sealed 😀', 60_000);
        expect(await b.sessions.get('k-管理者')).toBe('sealed 😀');
      });

      test('the zitauth user is confined to its prefix', async () => {
        const url = readFileSync(hostPath(services.zitauth!, services.zitauth!.environment!.ZITAUTH_REDIS_URL_FILE!), 'utf8');
        const pw = /zitauth:([0-9a-f]{64})@/.exec(url)![1]!;
        const other = await $`redis-cli -p ${port} --user zitauth --pass ${pw} --no-auth-warning set other:x 1`.quiet().nothrow();
        expect(other.stdout.toString()).toContain('NOPERM');
        const flush = await $`redis-cli -p ${port} --user zitauth --pass ${pw} --no-auth-warning flushall`.quiet().nothrow();
        expect(flush.stdout.toString()).toContain('NOPERM');
      });
    });
  });

  describe.skipIf(!systemTool(findNginx() ?? 'nginx', 'nginx', 'tests/deploy/compose-replicas.test.ts'))('nginx-replicas.conf with a real nginx', () => {
    let nginx: RunningNginx;
    const replicas: ReturnType<typeof Bun.serve>[] = [];
    const seen: { replica: number; host: string | null; xfh: string | null; xff: string | null; path: string }[] = [];

    beforeAll(async () => {
      for (const id of [1, 2]) {
        replicas.push(
          Bun.serve({
            port: 0,
            hostname: '127.0.0.1',
            fetch(req) {
              const h = req.headers;
              seen.push({ replica: id, host: h.get('host'), xfh: h.get('x-forwarded-host'), xff: h.get('x-forwarded-for'), path: new URL(req.url).pathname });
              return Response.json({ replica: id });
            },
          }),
        );
      }
      const conf = readFileSync(mountAt(services.nginx!, '/etc/nginx/conf.d/default.conf')!, 'utf8');
      const port = freePort();
      // The deployment-specific lines only: the listen port and the replicas' addresses.
      let i = 0;
      const moved = conf
        .replace(/^(\s*)listen \d+;/m, `$1listen 127.0.0.1:${port};`)
        .replace(/^(\s*server )127\.0\.0\.1:\d+/gm, (_, lead: string) => `${lead}127.0.0.1:${replicas[i++]!.port}`);
      expect(i).toBe(2);
      nginx = await startNginx(findNginx()!, moved, port);
    });
    afterAll(async () => {
      await nginx?.stop();
      for (const r of replicas) await r.stop(true);
    });

    test('round robin over both replicas, the replica named in X-ZitAuth-Replica, Host and X-Forwarded-Host passed on', async () => {
      seen.length = 0;
      const order: number[] = [];
      for (let n = 0; n < 6; n++) {
        const res = await fetch(`${nginx.url}/api/v1/session/%E5%B1%B1%E7%94%B0`, { headers: { host: 'localhost:8000', 'x-forwarded-host': 'app.example.com' } });
        expect(res.status).toBe(200);
        const { replica } = (await res.json()) as { replica: number };
        order.push(replica);
        expect(res.headers.get('x-zitauth-replica')).toBe(`127.0.0.1:${replicas[replica - 1]!.port}`);
      }
      // Strict alternation: no stickiness, every request may land on either replica.
      expect(order.slice(1).every((r, k) => r !== order[k])).toBe(true);
      expect(new Set(order)).toEqual(new Set([1, 2]));
      for (const s of seen) {
        expect(s.host).toBe('localhost:8000');
        expect(s.xfh).toBe('app.example.com');
        expect(s.xff).toBe('127.0.0.1');
        expect(s.path).toBe('/api/v1/session/%E5%B1%B1%E7%94%B0');
      }
    });

    test('a replica that is down: requests go to the other one', async () => {
      await replicas[1]!.stop(true);
      const answered: number[] = [];
      for (let n = 0; n < 4; n++) {
        const res = await fetch(`${nginx.url}/healthz`);
        expect(res.status).toBe(200);
        answered.push(((await res.json()) as { replica: number }).replica);
      }
      expect(answered).toEqual([1, 1, 1, 1]);
    });
  });
});
