/**
 * The IdP's signing keys, imported once into `KeyObject`s, kept across outages, and refetched as
 * soon as a token names a key we do not know.
 *
 * Why this shape: Zitadel signs with a new key the moment it creates it, without publishing it
 * ahead of use (see zitadel.md "Keys and rotation"), so the first token with a new `kid` must be
 * able to trigger a fetch at once — a fixed cooldown after every fetch refused valid tokens for
 * its whole length (issue 11 item 3). At the same time junk `kid`s must not let anyone hammer the
 * IdP. The rules:
 *
 * - one fetch in flight at a time; at most one fetch *start* per `minRefreshIntervalMs`;
 * - a token whose `kid` is unknown waits for the next fetch that starts after it arrived (joining
 *   one in flight first, which usually already has the key) instead of failing: bounded by the
 *   interval plus the fetch timeout. Every such token shares that one fetch, so a flood of junk
 *   `kid`s costs at most one fetch per interval;
 * - a failed fetch delays nothing beyond the interval, so learning resumes as soon as the IdP
 *   answers again; the last good keys stay in use meanwhile and the failure goes to
 *   `onRefreshFailed`;
 * - a set older than `maxAgeMs` (or the response's shorter `Cache-Control: max-age`, not below
 *   {@link MIN_HONOURED_MAX_AGE_MS}) is refreshed in the background; known keys never wait;
 * - a refreshed set replaces the old one wholesale: a key gone from it stops verifying, and
 *   {@link JwksCache.keyEpoch} moves so results verified with it can be dropped.
 *
 * Scheduling uses real time (timers), so there is no clock to inject: tests use short intervals.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set)
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { IdpBadResponse, IdpTimeout, IdpUnavailable, InvalidToken, ZitAuthError } from '../errors.ts';
import { MIN_RSA_BITS, type AlgorithmSpec } from './algorithms.ts';

/** Options of {@link JwksCache}. */
export interface JwksCacheOptions {
  /** The IdP's JWKS endpoint (Zitadel: `{issuer}/oauth/v2/keys`). */
  jwksUri: string;
  /** fetch implementation (injected for tests and metrics). */
  fetch?: typeof fetch;
  /** Abort a JWKS request after this many milliseconds. */
  timeoutMs: number;
  /** Least time between the starts of two fetches, whatever triggers them. Default 1000. */
  minRefreshIntervalMs?: number;
  /**
   * Age after which the key set is refreshed in the background. Default 300 000 (5 min). A
   * shorter `Cache-Control: max-age` on the JWKS response wins, down to {@link MIN_HONOURED_MAX_AGE_MS}.
   */
  maxAgeMs?: number;
  /** Called after every fetch attempt with its outcome and duration (for metrics). */
  onRefresh?: (ok: boolean, ms: number) => void;
  /** Called with the error of every failed fetch (the previous keys stay in use); log it at warn. */
  onRefreshFailed?: (error: ZitAuthError) => void;
}

/** Default of {@link JwksCacheOptions.minRefreshIntervalMs}. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 1_000;
/** Default of {@link JwksCacheOptions.maxAgeMs}. */
export const DEFAULT_MAX_AGE_MS = 300_000;
/** A `Cache-Control: max-age` (or `no-cache`) shorter than this is read as this. */
export const MIN_HONOURED_MAX_AGE_MS = 30_000;
/** After a failed background refresh of a stale set, the next background attempt waits this long. */
const STALE_RETRY_MS = 10_000;

/** A key of the set that cannot verify anything, and why (for the operator's log). */
export interface IgnoredKey {
  readonly kid: string | undefined;
  readonly why: string;
}

interface Entry {
  readonly kid: string | undefined;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly crv: string | undefined;
  /** The JWK's `alg`; undefined = any algorithm of its key type (as jose's key selection allows). */
  readonly alg: string | undefined;
  readonly key: KeyObject;
}

/** The outcome of one fetch; never a rejected promise, so waiters need no catch. */
interface Outcome {
  readonly seq: number;
  readonly error: ZitAuthError | undefined;
}

interface KeySet {
  readonly byKid: ReadonlyMap<string, readonly Entry[]>;
  readonly all: readonly Entry[];
  readonly ignored: ReadonlyMap<string, string>;
  readonly ignoredList: readonly IgnoredKey[];
  /** JSON of each JWK by kid (or position): to reuse imports and to notice removed keys. */
  readonly prints: ReadonlyMap<string, { print: string; imported: Entry | string }>;
}

/**
 * The IdP's signing keys; see the module comment for the refresh rules. {@link select} is the
 * synchronous lookup of the hot path, {@link selectAfterRefresh} the path for an unknown `kid`.
 */
export class JwksCache {
  /** Fetch counters: `refreshes` counts successful fetches, `failures` failed ones. */
  readonly stats = { refreshes: 0, failures: 0 };
  /** Metrics hook, see {@link JwksCacheOptions.onRefresh}. */
  onRefresh: ((ok: boolean, ms: number) => void) | undefined;
  /** Failure hook, see {@link JwksCacheOptions.onRefreshFailed}. */
  onRefreshFailed: ((error: ZitAuthError) => void) | undefined;
  /** Epoch ms of the last successful fetch; undefined before the first. */
  lastRefreshAt: number | undefined;
  /**
   * Incremented whenever a refresh removes or changes a key that was present before. Anything
   * derived from the old keys (e.g. cached validation results) must be dropped when it changes.
   */
  keyEpoch = 0;

  readonly #uri: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #minIntervalMs: number;
  readonly #maxAgeMs: number;
  #set: KeySet | undefined;
  /** When the set counts as stale (epoch ms). */
  #staleAt = 0;
  #lastStartAt = Number.NEGATIVE_INFINITY;
  /** Sequence number of the last fetch started. */
  #startedSeq = 0;
  #inflight: Promise<Outcome> | undefined;
  /** The next fetch, promised but waiting for the interval to pass. */
  #scheduled: { promise: Promise<Outcome>; resolve: (o: Outcome) => void } | undefined;

  constructor(opts: JwksCacheOptions) {
    this.#uri = opts.jwksUri;
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.timeoutMs;
    this.#minIntervalMs = opts.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
    this.#maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.onRefresh = opts.onRefresh;
    this.onRefreshFailed = opts.onRefreshFailed;
  }

  /** True once a key set has been loaded (it may be old; see {@link isFresh}). */
  get ready(): boolean {
    return this.#set !== undefined;
  }

  /** True when the loaded key set is younger than its maximum age. */
  isFresh(): boolean {
    return this.#set !== undefined && Date.now() < this.#staleAt;
  }

  /** Epoch ms from which the loaded set counts as stale; undefined before the first load. */
  get freshUntil(): number | undefined {
    return this.#set === undefined ? undefined : this.#staleAt;
  }

  /** Keys of the last loaded set that cannot verify anything (private, too short, unknown type…). */
  get ignoredKeys(): readonly IgnoredKey[] {
    return this.#set?.ignoredList ?? [];
  }

  /**
   * Fetches the key set (joining a fetch in flight, or waiting for the interval to allow the next).
   * Rejects with a 503 {@link IdpUnavailable} / {@link IdpTimeout} or an {@link IdpBadResponse};
   * the previous keys stay in use on failure.
   */
  refresh(): Promise<void> {
    return this.#nextOutcome().then((o) => {
      if (o.error !== undefined) throw o.error;
    });
  }

  /**
   * The key to verify a token with header `kid`/`alg`, synchronously. Undefined when the set must
   * be fetched first (none loaded yet, or no key with this `kid`): then call
   * {@link selectAfterRefresh}. Throws {@link InvalidToken} when the answer is already final:
   * `algorithm` (the `kid` names a key for another algorithm, or a key we cannot use),
   * `unknown_key` (a token without `kid` that several keys would fit).
   *
   * Selection follows RFC 7515 §4.1.4 / RFC 7517 §4 like jose's: same `kid`; `kty` (and `crv`) of
   * the algorithm; the JWK's `alg`, when present, equal to the header's; `use` absent or `sig`;
   * `key_ops` absent or including `verify`.
   */
  select(kid: string | undefined, alg: AlgorithmSpec): KeyObject | undefined {
    const set = this.#set;
    if (set === undefined) return undefined;
    if (this.#scheduled === undefined && this.#inflight === undefined && Date.now() >= this.#staleAt) {
      // Stale: refresh behind the caller's back; this lookup still uses the current set.
      void this.#nextOutcome();
    }
    if (kid !== undefined) {
      const entries = set.byKid.get(kid);
      if (entries === undefined) {
        const why = set.ignored.get(kid);
        if (why !== undefined) throw new InvalidToken('algorithm', { detail: `signing key unusable: ${why}` });
        return undefined;
      }
      return pick(entries, alg, false);
    }
    return pick(set.all, alg, true);
  }

  /**
   * For a token whose key {@link select} did not find: waits for the next fetch that starts after
   * this call (first joining one in flight, which may already have the key), then selects again.
   * Rejects with {@link InvalidToken} `unknown_key` when that fetch did not bring the key, or with
   * the fetch's 503 error when the IdP could not be asked.
   */
  async selectAfterRefresh(kid: string | undefined, alg: AlgorithmSpec): Promise<KeyObject> {
    const needed = this.#startedSeq + 1;
    for (;;) {
      const outcome = await this.#nextOutcome();
      const key = this.select(kid, alg);
      if (key !== undefined) return key;
      if (outcome.seq >= needed) {
        if (outcome.error !== undefined) throw outcome.error;
        throw new InvalidToken('unknown_key', { detail: kid === undefined ? 'no key fits a token without kid' : 'kid not in the key set' });
      }
    }
  }

  /** The outcome of the next fetch to complete: the one in flight, or one scheduled as the interval allows. */
  #nextOutcome(): Promise<Outcome> {
    if (this.#inflight !== undefined) return this.#inflight;
    if (this.#scheduled !== undefined) return this.#scheduled.promise;
    const wait = this.#lastStartAt + this.#minIntervalMs - Date.now();
    if (wait <= 0) return this.#start();
    let resolve!: (o: Outcome) => void;
    const promise = new Promise<Outcome>((r) => (resolve = r));
    this.#scheduled = { promise, resolve };
    const timer = setTimeout(() => {
      this.#scheduled = undefined;
      this.#start().then(resolve);
    }, wait);
    // A pending refresh must not keep the process alive.
    timer.unref?.();
    return promise;
  }

  #start(): Promise<Outcome> {
    const seq = ++this.#startedSeq;
    this.#lastStartAt = Date.now();
    const run = this.#fetchAndInstall(seq).finally(() => {
      this.#inflight = undefined;
    });
    this.#inflight = run;
    return run;
  }

  async #fetchAndInstall(seq: number): Promise<Outcome> {
    const started = Date.now();
    try {
      const { body, maxAgeMs } = await this.#download();
      this.#install(body);
      const now = Date.now();
      this.lastRefreshAt = now;
      this.#staleAt = now + (maxAgeMs === undefined ? this.#maxAgeMs : Math.min(this.#maxAgeMs, Math.max(maxAgeMs, MIN_HONOURED_MAX_AGE_MS)));
      this.stats.refreshes++;
      notify(() => this.onRefresh?.(true, now - started));
      return { seq, error: undefined };
    } catch (err) {
      const error = err instanceof ZitAuthError ? err : new IdpBadResponse('identity provider sent an invalid key set', { detail: describe(err) });
      this.stats.failures++;
      // A stale set is retried in the background after a pause; unknown kids still ask at once.
      this.#staleAt = Math.max(this.#staleAt, Date.now() + Math.min(STALE_RETRY_MS, this.#maxAgeMs));
      notify(() => this.onRefresh?.(false, Date.now() - started));
      notify(() => this.onRefreshFailed?.(error));
      return { seq, error };
    }
  }

  async #download(): Promise<{ body: { keys: unknown[] }; maxAgeMs: number | undefined }> {
    const retryAfter = Math.max(1, Math.ceil(this.#minIntervalMs / 1000));
    let res: Response;
    let body: unknown;
    try {
      res = await this.#fetch(this.#uri, {
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (!res.ok) {
        // Drain so the connection can be reused.
        await res.body?.cancel().catch(() => {});
        throw new IdpUnavailable('identity provider unavailable', { status: 503, retryAfter, detail: `JWKS HTTP ${res.status}` });
      }
      body = await res.json();
    } catch (err) {
      if (err instanceof ZitAuthError) throw err;
      if (isTimeout(err)) {
        throw new IdpTimeout('identity provider did not answer in time', { status: 503, retryAfter, detail: `JWKS fetch exceeded ${this.#timeoutMs} ms` });
      }
      if (err instanceof SyntaxError) throw new IdpBadResponse('identity provider sent an invalid key set', { detail: 'JWKS body is not JSON' });
      throw new IdpUnavailable('identity provider unreachable', { status: 503, retryAfter, detail: describe(err) });
    }
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
      throw new IdpBadResponse('identity provider sent an invalid key set', { detail: 'JWKS body has no keys array' });
    }
    return { body: body as { keys: unknown[] }, maxAgeMs: maxAgeOf(res.headers.get('cache-control')) };
  }

  /** Swaps in the fetched set; bumps {@link keyEpoch} when a key present before is missing or different. */
  #install(body: { keys: unknown[] }): void {
    const previous = this.#set?.prints;
    const byKid = new Map<string, Entry[]>();
    const all: Entry[] = [];
    const ignored = new Map<string, string>();
    const ignoredList: IgnoredKey[] = [];
    const prints = new Map<string, { print: string; imported: Entry | string }>();
    body.keys.forEach((jwk, i) => {
      const kid = isObject(jwk) && typeof jwk.kid === 'string' ? jwk.kid : undefined;
      const id = kid ?? `#${i}`;
      const print = JSON.stringify(jwk);
      const before = previous?.get(id);
      // An unchanged JWK keeps its KeyObject: no re-import on every refresh.
      const imported = before !== undefined && before.print === print ? before.imported : importKey(jwk, kid);
      prints.set(id, { print, imported });
      if (typeof imported === 'string') {
        ignoredList.push({ kid, why: imported });
        if (kid !== undefined) ignored.set(kid, imported);
        return;
      }
      all.push(imported);
      if (kid !== undefined) {
        const list = byKid.get(kid);
        if (list === undefined) byKid.set(kid, [imported]);
        else list.push(imported);
      }
    });
    if (previous !== undefined) {
      for (const [id, { print }] of previous) {
        if (prints.get(id)?.print !== print) {
          this.keyEpoch++;
          break;
        }
      }
    }
    // A kid with one usable key among unusable ones is served by the usable one.
    for (const kid of byKid.keys()) ignored.delete(kid);
    this.#set = { byKid, all, ignored, ignoredList, prints };
  }
}

/** The single entry of `entries` that fits `alg`, or a final InvalidToken; see {@link JwksCache.select}. */
function pick(entries: readonly Entry[], alg: AlgorithmSpec, anyKid: boolean): KeyObject | undefined {
  let found: Entry | undefined;
  let count = 0;
  for (const e of entries) {
    if (e.kty !== alg.kty || (alg.crv !== undefined && e.crv !== alg.crv) || (e.alg !== undefined && e.alg !== alg.name)) continue;
    found = e;
    count++;
  }
  if (count === 1) return found!.key;
  if (count > 1) throw new InvalidToken('unknown_key', { detail: anyKid ? 'token without kid fits several keys' : 'several keys with this kid fit' });
  // Without a kid, a refetch may bring a fitting key; with one, this key is for something else.
  if (anyKid) return undefined;
  throw new InvalidToken('algorithm', { detail: 'the key with this kid is not for this algorithm' });
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Imports one JWK for verification, or says why it cannot verify anything. */
function importKey(jwk: unknown, kid: string | undefined): Entry | string {
  if (!isObject(jwk)) return 'not a JSON object';
  // RFC 7517 §4.2 / §4.3: a key for something other than signatures is not ours to use.
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'use is not sig';
  const ops = jwk.key_ops;
  if (ops !== undefined) {
    if (!Array.isArray(ops) || ops.some((o) => typeof o !== 'string') || new Set(ops).size !== ops.length) return 'key_ops is not a list of distinct strings';
    if (!ops.includes('verify')) return 'key_ops lacks verify';
  }
  if (jwk.ext !== undefined && typeof jwk.ext !== 'boolean') return 'ext is not a boolean';
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return 'alg is not a string';
  // A JWKS publishes public keys; one carrying private members is a misconfigured IdP.
  if (PRIVATE_MEMBERS.some((m) => jwk[m] !== undefined)) return 'carries private key material';
  let pub: JsonWebKey;
  switch (jwk.kty) {
    case 'RSA':
      pub = { kty: 'RSA', n: jwk.n as string, e: jwk.e as string };
      break;
    case 'EC':
      if (jwk.crv !== 'P-256' && jwk.crv !== 'P-384' && jwk.crv !== 'P-521') return 'unsupported EC curve';
      pub = { kty: 'EC', crv: jwk.crv, x: jwk.x as string, y: jwk.y as string };
      break;
    case 'OKP':
      // RFC 8037 allows Ed448 too; JOSE's EdDSA here means Ed25519 only (as jose's).
      if (jwk.crv !== 'Ed25519') return 'unsupported OKP curve';
      pub = { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string };
      break;
    default:
      return 'unsupported kty';
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pub, format: 'jwk' });
  } catch (err) {
    return `not importable (${err instanceof Error ? err.message : String(err)})`;
  }
  if (pub.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return `RSA key shorter than ${MIN_RSA_BITS} bits`;
  return { kid, kty: pub.kty as Entry['kty'], crv: pub.crv, alg: jwk.alg as string | undefined, key };
}

/** `max-age` of a Cache-Control header in ms (`no-cache`/`no-store` count as 0), or undefined. */
function maxAgeOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/(?:^|[,\s])no-(?:cache|store)(?:$|[,\s=])/i.test(header)) return 0;
  const m = /(?:^|[,\s])max-age\s*=\s*"?(\d{1,10})"?/i.exec(header);
  return m === null ? undefined : Number(m[1]) * 1000;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Runs an observer callback; a throwing observer must not break key refresh. */
function notify(fn: () => void): void {
  try {
    fn();
  } catch {
    // observers are best effort
  }
}
