/**
 * The Kubernetes manifests in deploy/kubernetes/, validated offline: every document parsed
 * (Bun's built-in YAML parser), and the fields docs/deployment.md relies on checked against
 * their other ends — the gateway's configuration schema and loader, its /healthz and /readyz
 * routes, the Dockerfile, docker-compose.yaml, the docs' ACL line and the Secret's keys. With
 * kubectl on the machine, `kubectl kustomize` renders the kustomization too. No cluster here:
 * scheduling, probes and admission are not exercised.
 */
import { describe, expect, test } from 'bun:test';
import { $ } from 'bun';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { EnvSchema } from '../../src/config/schema.ts';
import { opsRoutes } from '../../src/http/ops.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { ROOT } from './compose-support.ts';

const DIR = join(ROOT, 'deploy/kubernetes');

type Obj = Record<string, any>;
interface Doc {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: any;
}

/** Every document of a YAML file (a file with `---` separators parses to an array of them). */
function documents(file: string): Doc[] {
  const text = readFileSync(join(DIR, file), 'utf8');
  const parsed = Bun.YAML.parse(text) as unknown;
  const docs = /^---\s*$/m.test(text) && Array.isArray(parsed) ? parsed : [parsed];
  return docs.filter((d) => d !== null).map((d) => ({ ...(d as Doc), file }));
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const all = files.flatMap(documents);
const one = (kind: string, name?: string): Doc => {
  const found = all.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
};

const kustomization = one('Kustomization');
const namespace = one('Namespace');
const configMap = one('ConfigMap', 'zitauth-config');
const deployment = one('Deployment', 'zitauth');
const service = one('Service', 'zitauth');
const pdb = one('PodDisruptionBudget', 'zitauth');
const gatewaySecret = one('Secret', 'zitauth-secrets');
const aclSecret = one('Secret', 'valkey-acl');
const valkey = one('StatefulSet', 'valkey');
const valkeyService = one('Service', 'valkey');
const valkeyPolicy = one('NetworkPolicy', 'valkey');

const pod = deployment.spec.template.spec as Obj;
const gateway = pod.containers[0] as Obj;
const valkeyPod = valkey.spec.template.spec as Obj;
const valkeyContainer = valkeyPod.containers[0] as Obj;

/** The pods a label selector picks: every matchLabels pair is on them. */
const selects = (selector: Obj | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** A container port by name or number. */
const portOf = (container: Obj, port: string | number): number | undefined =>
  typeof port === 'number' ? port : (container.ports as Obj[]).find((p) => p.name === port)?.containerPort;

/** A Kubernetes quantity in base units (cores, bytes). */
function quantity(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(q));
  if (!m) throw new Error(`unexpected quantity ${q}`);
  const scale = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] as 'm'] ?? 1;
  return Number(m[1]) * scale;
}

/** A file-path variable of the ConfigMap → the Secret key it names (under the secret mount). */
function secretKeysReferenced(): Map<string, string> {
  const mount = (gateway.volumeMounts as Obj[]).find((v) => v.name === (pod.volumes as Obj[]).find((x) => x.secret?.secretName === gatewaySecret.metadata.name)?.name);
  expect(mount).toBeDefined();
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(configMap.data as Record<string, string>)) {
    if (v.startsWith(`${mount!.mountPath}/`)) out.set(k, v.slice(mount!.mountPath.length + 1));
  }
  return out;
}

describe('deploy/kubernetes manifests', () => {
  test('every document parses and names its API, kind and a valid name; the labels say what it is part of', () => {
    const known: Record<string, string> = {
      Namespace: 'v1',
      ConfigMap: 'v1',
      Secret: 'v1',
      Service: 'v1',
      Deployment: 'apps/v1',
      StatefulSet: 'apps/v1',
      PodDisruptionBudget: 'policy/v1',
      NetworkPolicy: 'networking.k8s.io/v1',
    };
    expect(all.map((d) => `${d.file}: ${d.kind}/${d.metadata?.name ?? ''}`).sort()).toEqual([
      'configmap.yaml: ConfigMap/zitauth-config',
      'deployment.yaml: Deployment/zitauth',
      'kustomization.yaml: Kustomization/',
      'namespace.yaml: Namespace/zitauth',
      'pdb.yaml: PodDisruptionBudget/zitauth',
      'secret.example.yaml: Secret/valkey-acl',
      'secret.example.yaml: Secret/zitauth-secrets',
      'service.yaml: Service/zitauth',
      'valkey.yaml: NetworkPolicy/valkey',
      'valkey.yaml: Service/valkey',
      'valkey.yaml: StatefulSet/valkey',
    ]);
    for (const d of all) {
      if (d.kind === 'Kustomization') {
        expect(d.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
        continue;
      }
      expect(known[d.kind], `${d.file}: kind ${d.kind}`).toBeDefined();
      expect(d.apiVersion, `${d.file}: ${d.kind}`).toBe(known[d.kind]!);
      // DNS-1123 label: what Services and the other kinds here accept.
      expect(d.metadata.name, d.file).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      expect(d.metadata.labels?.['app.kubernetes.io/part-of'], `${d.file}: ${d.kind} ${d.metadata.name}`).toBe('zitauth');
    }
  });

  test('kustomization: every manifest but the secrets template, one namespace, the image mapped', () => {
    const expected = files.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    expect([...(kustomization.resources as string[])].sort()).toEqual(expected);
    expect(kustomization.namespace).toBe(namespace.metadata.name);
    // The hand-applied secrets carry the namespace themselves; nothing else does (kustomize sets it).
    for (const d of all.filter((x) => x.kind !== 'Kustomization')) {
      if (d.file === 'secret.example.yaml') expect(d.metadata.namespace).toBe(namespace.metadata.name);
      else expect(d.metadata.namespace, `${d.file}: ${d.kind}`).toBeUndefined();
    }
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const [repo] = String(gateway.image).split(':');
    expect((kustomization.images as Obj[]).map((i) => i.name)).toEqual([repo]);
  });

  test('the image is the one docker-compose.yaml builds from the Dockerfile: same name, port, user', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8');
    const composeImage = /image: \$\{ZITAUTH_IMAGE:-([^}]+)\}/.exec(compose)?.[1];
    expect(gateway.image).toBe(composeImage!);
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]).toBe(String(portOf(gateway, 'http')));
    expect(/^\s*ENV PORT=(\d+)/m.exec(dockerfile)?.[1]).toBe(String(portOf(gateway, 'http')));
    expect(configMap.data.PORT).toBe(String(portOf(gateway, 'http')));
    const [uid, gid] = (/^USER (\d+):(\d+)$/m.exec(dockerfile) ?? []).slice(1).map(Number);
    expect(pod.securityContext.runAsUser).toBe(uid!);
    expect(pod.securityContext.runAsGroup).toBe(gid!);
    expect(gateway.args).toEqual(['serve']);
    // The same Valkey as the compose example.
    const override = readFileSync(join(ROOT, 'deploy/compose.replicas.yaml'), 'utf8');
    expect(valkeyContainer.image).toBe(/VALKEY_IMAGE:-([^}]+)\}/.exec(override)?.[1]!);
  });

  test('Deployment: two replicas, a rollout that never drops below them, selector = template labels', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('probes: liveness on /healthz, readiness on /readyz, on the container port; readiness outwaits one Zitadel call', () => {
    expect(gateway.livenessProbe.httpGet.path).toBe('/healthz');
    expect(gateway.readinessProbe.httpGet.path).toBe('/readyz');
    for (const p of [gateway.livenessProbe, gateway.readinessProbe]) expect(portOf(gateway, p.httpGet.port)).toBe(Number(configMap.data.PORT));
    const httpTimeoutMs = Number(configMap.data.ZITAUTH_HTTP_TIMEOUT_MS ?? EnvSchema.properties.ZITAUTH_HTTP_TIMEOUT_MS.default);
    expect(gateway.readinessProbe.timeoutSeconds * 1000).toBeGreaterThan(httpTimeoutMs);
    expect(gateway.lifecycle.preStop.sleep.seconds).toBeGreaterThan(0);
    expect(gateway.lifecycle.preStop.sleep.seconds).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  test('the routes the probes use answer as the comments say: readiness stays 200 when only the store fails', async () => {
    const app = (idp: boolean, store: boolean) =>
      opsRoutes({ readiness: async () => ({ discovery: idp, jwks: idp }), storeHealthy: async () => store, metrics: new Metrics(), version: '0.0.0-test' });
    const get = async (a: ReturnType<typeof app>, path: string) => {
      const res = await a.handle(new Request(`http://gateway${path}`));
      return { status: res.status, body: (await res.json()) as { status: string } };
    };
    expect(await get(app(true, true), gateway.livenessProbe.httpGet.path)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const readyz = gateway.readinessProbe.httpGet.path;
    expect(await get(app(true, true), readyz)).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect(await get(app(true, false), readyz)).toMatchObject({ status: 200, body: { status: 'degraded' } });
    expect(await get(app(false, true), readyz)).toMatchObject({ status: 503, body: { status: 'not_ready' } });
    // Liveness never depends on the IdP or the store.
    expect((await get(app(false, false), gateway.livenessProbe.httpGet.path)).status).toBe(200);
  });

  test('ConfigMap: every name is a variable of the gateway\'s schema; session mode on the Redis store', () => {
    const names = Object.keys(EnvSchema.properties);
    for (const k of Object.keys(configMap.data)) expect(names, k).toContain(k);
    for (const e of (gateway.env ?? []) as Obj[]) expect(names, e.name).toContain(e.name);
    expect((gateway.envFrom as Obj[]).map((e) => e.configMapRef?.name)).toEqual([configMap.metadata.name]);
    expect(configMap.data.ZITAUTH_LOGIN_MODE).toBe('session');
    expect(configMap.data.ZITAUTH_SESSION_STORE).toBe('redis');
    // No secret value in the ConfigMap: those come as files.
    for (const k of ['ZITAUTH_COOKIE_SECRET', 'ZITAUTH_REDIS_URL', 'ZITAUTH_M2M_API_KEYS', 'ZITAUTH_INTROSPECTION_CLIENT_SECRET']) {
      expect(configMap.data[k]).toBeUndefined();
      expect(configMap.data[`${k}_FILE`] ?? (k === 'ZITAUTH_INTROSPECTION_CLIENT_SECRET' ? 'n/a' : undefined)).toBeDefined();
    }
  });

  test('Secret: every file the ConfigMap names is a key of it, and every key is used', () => {
    const referenced = secretKeysReferenced();
    expect([...referenced.keys()].sort()).toEqual(['SERVICE_ACCOUNT_FILE', 'ZITAUTH_COOKIE_SECRET_FILE', 'ZITAUTH_INTROSPECTION_KEY_FILE', 'ZITAUTH_M2M_API_KEYS_FILE', 'ZITAUTH_REDIS_URL_FILE']);
    expect([...new Set(referenced.values())].sort()).toEqual(Object.keys(gatewaySecret.stringData).sort());
    const vol = (pod.volumes as Obj[]).find((v) => v.secret?.secretName === gatewaySecret.metadata.name)!;
    // 0440 with the pod's fsGroup: readable by the gateway's group, not by the world.
    expect(vol.secret.defaultMode).toBe(0o440);
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
    expect((gateway.volumeMounts as Obj[]).find((m) => m.name === vol.name)?.readOnly).toBe(true);
  });

  test('the configuration loads through the gateway\'s own loader — and the placeholders are refused', () => {
    const work = mkdtempSync(join(tmpdir(), 'zitauth-k8s-'));
    try {
      const referenced = secretKeysReferenced();
      const load = (secret: Record<string, string>) => {
        const env: Record<string, string> = { ...configMap.data };
        for (const [name, key] of referenced) {
          const path = join(work, key);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, secret[key] ?? '');
          env[name] = path;
        }
        return loadConfig(env);
      };
      let err: unknown;
      try {
        load(gatewaySecret.stringData);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toContain('ZITAUTH_COOKIE_SECRET must be at least 32 characters');
      expect(problems).toContain('ZITAUTH_M2M_API_KEYS');
      expect(problems).not.toContain('change-me'); // the Redis URL's password is never echoed

      const apiKey = `zat_${randomBytes(24).toString('base64url')}`;
      const c = load({
        ...gatewaySecret.stringData,
        'cookie-secret': randomBytes(48).toString('base64'),
        'm2m-api-keys': `sha256:${createHash('sha256').update(apiKey).digest('hex')}`,
      });
      expect(c.loginMode).toBe('session');
      expect(c.store.kind).toBe('redis');
      expect(c.store.kind === 'redis' && c.store.target).toBe(`redis://${valkeyService.metadata.name}:${valkeyService.spec.ports[0].port}/0`);
      expect(c.store.kind === 'redis' && c.store.prefix).toBe(configMap.data.ZITAUTH_REDIS_PREFIX);
      expect(c.session.secureCookie).toBe(true);
      expect(c.port).toBe(portOf(gateway, 'http')!);
      expect(c.m2mApiKeys).toHaveLength(1);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('Valkey: its ACL user is the docs\' one, with redis-url\'s password and the gateway\'s prefix', () => {
    const url = new URL(gatewaySecret.stringData['redis-url']);
    const acl = (aclSecret.stringData['users.acl'] as string).trim().split('\n');
    expect(acl[0]).toBe('user default reset on nopass +ping');
    const docs = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
    const line = docs.split('\n').find((l) => l.startsWith('ACL SETUSER zitauth '))!;
    const password = decodeURIComponent(url.password);
    expect(acl[1]).toBe(`user ${line.split(' ').slice(2).join(' ').replace('>change-me', `>${password}`)}`);
    expect(decodeURIComponent(url.username)).toBe('zitauth');
    expect(acl[1]).toContain(` ~${configMap.data.ZITAUTH_REDIS_PREFIX}* `);
    // The URL names the Valkey Service and its port, which lead to the container's port.
    expect(url.hostname).toBe(valkeyService.metadata.name);
    const svcPort = valkeyService.spec.ports[0];
    expect(Number(url.port)).toBe(svcPort.port);
    expect(portOf(valkeyContainer, svcPort.targetPort)).toBe(6379);
    // valkey-server reads the ACL file from the Secret's mount.
    const args = valkeyContainer.args as string[];
    expect(args[0]).toBe('valkey-server');
    const aclPath = args[args.indexOf('--aclfile') + 1]!;
    const vol = (valkeyPod.volumes as Obj[]).find((v) => v.secret?.secretName === aclSecret.metadata.name)!;
    const mount = (valkeyContainer.volumeMounts as Obj[]).find((m) => m.name === vol.name)!;
    expect(aclPath).toBe(`${mount.mountPath}/users.acl`);
    expect(Object.keys(aclSecret.stringData)).toEqual(['users.acl']);
    expect(vol.secret.defaultMode).toBe(0o440);
    expect(valkeyPod.securityContext.fsGroup).toBe(valkeyPod.securityContext.runAsGroup);
    // Persistence: the append-only file on the claimed volume at the image's /data.
    expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
    const data = (valkeyContainer.volumeMounts as Obj[]).find((m) => m.mountPath === '/data')!;
    expect((valkey.spec.volumeClaimTemplates as Obj[]).map((t) => t.metadata.name)).toEqual([data.name]);
    expect(valkey.spec.replicas).toBe(1);
    expect(valkey.spec.serviceName).toBe(valkeyService.metadata.name);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect(valkeyContainer[probe].exec.command).toEqual(['sh', '-c', 'valkey-cli ping | grep -q PONG']);
    }
  });

  test('securityContext: both pods meet Pod Security "restricted"; the gateway\'s root filesystem is read-only', () => {
    for (const [name, spec] of [['gateway', pod], ['valkey', valkeyPod]] as const) {
      const sc = spec.securityContext as Obj;
      expect(sc.runAsNonRoot, name).toBe(true);
      expect(sc.runAsUser, name).toBeGreaterThan(0);
      expect(sc.seccompProfile, name).toEqual({ type: 'RuntimeDefault' });
      for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) expect(spec[k], `${name}: ${k}`).toBeUndefined();
      for (const v of spec.volumes as Obj[]) expect(Object.keys(v).filter((k) => k !== 'name').every((k) => ['secret', 'emptyDir', 'configMap', 'persistentVolumeClaim', 'projected'].includes(k)), `${name}: volume ${v.name}`).toBe(true);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers] as Obj[]) {
        const csc = c.securityContext as Obj;
        expect(csc.allowPrivilegeEscalation, `${name}/${c.name}`).toBe(false);
        expect(csc.privileged, `${name}/${c.name}`).toBeUndefined();
        expect(csc.capabilities, `${name}/${c.name}`).toEqual({ drop: ['ALL'] });
        expect(csc.readOnlyRootFilesystem, `${name}/${c.name}`).toBe(true);
        expect(csc.runAsNonRoot, `${name}/${c.name}`).toBe(true);
        expect(c.ports?.some((p: Obj) => p.hostPort !== undefined) ?? false).toBe(false);
      }
    }
  });

  test('resources: requests on every container, memory limits at or above them', () => {
    for (const c of [gateway, valkeyContainer]) {
      const r = c.resources as Obj;
      expect(quantity(r.requests.cpu)).toBeGreaterThan(0);
      expect(quantity(r.requests.memory)).toBeGreaterThan(0);
      expect(quantity(r.limits.memory)).toBeGreaterThanOrEqual(quantity(r.requests.memory));
    }
    // Valkey's own memory cap fits inside its container's limit.
    const args = valkeyContainer.args as string[];
    const maxmemory = /^(\d+)mb$/.exec(args[args.indexOf('--maxmemory') + 1]!)![1]!;
    expect(Number(maxmemory) * 1024 ** 2).toBeLessThan(quantity(valkeyContainer.resources.limits.memory));
  });

  test('spread across nodes: a hard constraint on the hostname over the Deployment\'s own pods', () => {
    const byNode = (pod.topologySpreadConstraints as Obj[]).find((t) => t.topologyKey === 'kubernetes.io/hostname')!;
    expect(byNode.whenUnsatisfiable).toBe('DoNotSchedule');
    expect(byNode.maxSkew).toBe(1);
    expect(byNode.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  test('PodDisruptionBudget, Service and NetworkPolicy select the pods they are meant for', () => {
    const gatewayLabels = deployment.spec.template.metadata.labels;
    const valkeyLabels = valkey.spec.template.metadata.labels;
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(selects(service.spec.selector, gatewayLabels)).toBe(true);
    expect(selects(service.spec.selector, valkeyLabels)).toBe(false);
    expect(service.spec.sessionAffinity).toBe('None');
    expect(portOf(gateway, service.spec.ports[0].targetPort)).toBe(Number(configMap.data.PORT));
    expect(selects(valkeyService.spec.selector, valkeyLabels)).toBe(true);
    expect(selects(valkeyService.spec.selector, gatewayLabels)).toBe(false);
    expect(selects(valkey.spec.selector.matchLabels, valkeyLabels)).toBe(true);
    expect(selects(valkeyPolicy.spec.podSelector.matchLabels, valkeyLabels)).toBe(true);
    const from = valkeyPolicy.spec.ingress[0].from[0].podSelector.matchLabels;
    expect(selects(from, gatewayLabels)).toBe(true);
    expect(selects(from, valkeyLabels)).toBe(false);
    expect(portOf(valkeyContainer, valkeyPolicy.spec.ingress[0].ports[0].port)).toBe(6379);
  });

  test('docs/deployment.md describes every manifest', () => {
    const docs = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
    for (const f of files) expect(docs.includes(`deploy/kubernetes/${f}`) || docs.includes(`\`${f}\``), `docs/deployment.md names ${f}`).toBe(true);
  });

  const kubectl = Bun.which('kubectl');
  if (!kubectl) console.warn('\n*** tests/deploy/kubernetes.test.ts: kubectl not found — `kubectl kustomize` rendering not checked ***\n');
  test.skipIf(!kubectl)('kubectl kustomize renders every resource, in the namespace, with the image mapped', async () => {
    const res = await $`${kubectl!} kustomize ${DIR}`.quiet().nothrow();
    expect(res.exitCode, res.stderr.toString()).toBe(0);
    const text = res.stdout.toString();
    const rendered = (Bun.YAML.parse(text) as Doc[]).filter(Boolean);
    const expected = all.filter((d) => d.kind !== 'Kustomization' && d.file !== 'secret.example.yaml');
    const id = (d: Doc) => `${d.kind}/${d.metadata.name}`;
    expect(rendered.map(id).sort()).toEqual(expected.map(id).sort());
    for (const d of rendered) if (d.kind !== 'Namespace') expect(d.metadata.namespace, id(d)).toBe(kustomization.namespace);
    const dep = rendered.find((d) => d.kind === 'Deployment')!;
    const img = (kustomization.images as Obj[])[0]!;
    expect(dep.spec.template.spec.containers[0].image).toBe(`${img.newName}:${img.newTag}`);
  });
});
