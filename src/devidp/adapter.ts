/**
 * In-memory storage for oidc-provider that outlives a provider instance.
 *
 * oidc-provider's built-in memory adapter is private to one Provider; we rebuild the provider on key
 * rotation, so sessions, codes and tokens must live here instead. One store per dev IdP keeps two IdPs
 * in the same test process from seeing each other's artefacts.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { epochNow } from './http.ts';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/** Models whose artefacts are revoked together when their grant is revoked. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export class DevIdpStore {
  readonly #entries = new Map<string, Entry>();
  readonly #byUid = new Map<string, string>();
  readonly #byUserCode = new Map<string, string>();
  readonly #grants = new Map<string, Set<string>>();

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: AdapterPayload, expiresIn?: number): void {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.#entries.set(key, { payload, expiresAt });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** A login session (oidc-provider's `Session` model) by the id its `_session` cookie holds. */
  session(id: string): AdapterPayload | undefined {
    return this.get(`Session:${id}`);
  }

  /** The cookie id of the live session whose `uid` (our `sid` claim) is `uid`. */
  sessionIdByUid(uid: string): string | undefined {
    const id = this.#byUid.get(uid);
    return id !== undefined && this.session(id) ? id : undefined;
  }

  /** Cookie ids of the live sessions of `accountId`. */
  sessionIdsOf(accountId: string): string[] {
    const out: string[] = [];
    for (const key of [...this.#entries.keys()]) {
      if (!key.startsWith('Session:')) continue;
      const id = key.slice('Session:'.length);
      if (this.session(id)?.accountId === accountId) out.push(id);
    }
    return out;
  }

  /**
   * Ends a login session the way oidc-provider's logout does: the session goes, and so does every
   * grant it authorised (codes, refresh tokens, opaque access tokens). JWT access tokens stay valid
   * until they expire, as they do at Zitadel. Returns the ended session, if there was one.
   */
  endSession(id: string): AdapterPayload | undefined {
    const payload = this.session(id);
    if (!payload) return undefined;
    this.delete(`Session:${id}`);
    if (payload.uid) this.#byUid.delete(payload.uid);
    for (const { grantId } of Object.values(payload.authorizations ?? {})) if (grantId) this.revokeGrant(grantId);
    return payload;
  }

  /** Deletes a grant and every artefact issued under it. */
  revokeGrant(grantId: string): void {
    for (const key of this.#grants.get(grantId) ?? []) this.delete(key);
    this.#grants.delete(grantId);
    this.delete(`Grant:${grantId}`);
  }

  /** An adapter factory in the shape oidc-provider's `adapter` option accepts. */
  factory(): (model: string) => Adapter {
    return (model) => this.#adapter(model);
  }

  #adapter(model: string): Adapter {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        const key = keyOf(id);
        this.set(key, payload, expiresIn);
        if (model === 'Session' && payload.uid) this.#byUid.set(payload.uid, id);
        if (payload.userCode) this.#byUserCode.set(payload.userCode, id);
        if (GRANTABLE.has(model) && payload.grantId) {
          const members = this.#grants.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          this.#grants.set(payload.grantId, members);
        }
      },
      find: async (id) => this.get(keyOf(id)),
      findByUid: async (uid) => {
        const id = this.#byUid.get(uid);
        return id === undefined ? undefined : this.get(keyOf(id));
      },
      findByUserCode: async (code) => {
        const id = this.#byUserCode.get(code);
        return id === undefined ? undefined : this.get(keyOf(id));
      },
      consume: async (id) => {
        const payload = this.get(keyOf(id));
        if (payload) payload.consumed = epochNow();
      },
      destroy: async (id) => {
        this.delete(keyOf(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const key of this.#grants.get(grantId) ?? []) this.delete(key);
        this.#grants.delete(grantId);
      },
    };
  }
}
