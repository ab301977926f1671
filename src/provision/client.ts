/**
 * A minimal client for Zitadel's management API v1 (REST/JSON via grpc-gateway).
 *
 * Why hand-written: provisioning needs a dozen calls; a generated SDK would add a heavy dependency
 * to a single-binary gateway. Every call carries a timeout, and every failure becomes a
 * ZitAuthError whose message names the call but never the personal access token or any key.
 *
 * @see https://zitadel.com/docs/apis/introduction (management API v1, base path /management/v1)
 */
import { IdpBadResponse, IdpRejected, IdpTimeout, IdpUnavailable } from '../errors.ts';

export type Json = Record<string, unknown>;

export interface ManagementClientOptions {
  /** Instance URL, e.g. http://localhost:8080 (no trailing slash needed). */
  baseUrl: string;
  /** Personal access token of an org/instance owner (e.g. the first-instance machine user). */
  pat: string;
  /** Per-call timeout. */
  timeoutMs: number;
  /** Optional organization to act in (`x-zitadel-orgid`); default is the token owner's org. */
  orgId?: string;
  fetch?: typeof fetch;
}

/** A thin, testable wrapper: `call('POST', '/projects', body)` → parsed JSON object. */
export class ManagementClient {
  readonly #base: string;
  readonly #pat: string;
  readonly #timeoutMs: number;
  readonly #orgId: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(opts: ManagementClientOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    this.#pat = opts.pat;
    this.#timeoutMs = opts.timeoutMs;
    this.#orgId = opts.orgId;
    this.#fetch = opts.fetch ?? fetch;
  }

  /**
   * Calls `/management/v1${path}`.
   * @throws IdpTimeout | IdpUnavailable | IdpRejected | IdpBadResponse
   */
  async call(method: 'GET' | 'POST' | 'PUT', path: string, body?: Json): Promise<Json> {
    const label = `${method} /management/v1${templatePath(path)}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#pat}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#orgId) headers['x-zitadel-orgid'] = this.#orgId;

    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}/management/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new IdpTimeout(`Zitadel did not answer ${label} within ${this.#timeoutMs} ms.`);
      }
      throw new IdpUnavailable(`Zitadel is unreachable at ${this.#base} (${label}).`, {
        detail: err instanceof Error ? err.message : String(err),
      });
    }

    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = undefined;
    }

    if (!res.ok) {
      // grpc-gateway error body: { code, message, details }. `message` is an i18n key or a short
      // sentence from Zitadel (never our token), shortened and scrubbed to be safe in a log line.
      const msg = isObject(parsed) && typeof parsed.message === 'string' ? parsed.message : '';
      const hint = res.status === 401 ? ' (is the personal access token valid and unexpired?)'
        : res.status === 403 ? ' (the token owner needs ORG_OWNER or IAM_OWNER rights)' : '';
      throw new IdpRejected(
        'provision_failed',
        `Zitadel rejected ${label}: HTTP ${res.status}${msg ? ` — ${this.#scrub(msg)}` : ''}${hint}`,
        { status: res.status },
      );
    }
    if (!isObject(parsed)) {
      throw new IdpBadResponse(`Zitadel answered ${label} with a body that is not a JSON object.`);
    }
    return parsed;
  }

  #scrub(s: string): string {
    return s.split(this.#pat).join('[redacted]').slice(0, 200);
  }
}

/** Replaces ids in a path by placeholders so log lines stay stable and short. */
function templatePath(path: string): string {
  return path.replace(/\/\d{6,}(?=\/|$)/g, '/{id}');
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `result` of a list call; grpc-gateway omits empty repeated fields, so absent means []. */
export function resultList(res: Json): Json[] {
  const r = res.result;
  return Array.isArray(r) ? r.filter(isObject) : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
