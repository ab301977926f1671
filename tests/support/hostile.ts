/**
 * The non-ASCII and hostile values integration tests feed into every input: claims, role keys,
 * query values, header values, login/logout parameters. One place, so every flow sees the same
 * people (山田太郎, josé@exämple.com, role 管理者) and the same attacks (CR/LF, quotes, markup).
 */
import { expect } from 'bun:test';
import type { DevIdpUser } from '../../src/devidp/index.ts';

export const ROLES_CLAIM = 'urn:zitadel:iam:org:project:roles';
/** The dev IdP's default organisation, as Zitadel's role map names it. */
export const ORG = { '300000000000000000': 'zitauth.localhost' } as const;

export const NAME = '山田太郎';
export const USERNAME = 'josé';
export const EMAIL = 'josé@exämple.com';
export const ROLE = '管理者';

/** Claims for `idp.mintAccessToken({ claims })`: a non-ASCII identity with a non-ASCII role (and `admin`). */
export const HOSTILE_CLAIMS = {
  name: NAME,
  preferred_username: USERNAME,
  email: EMAIL,
  [ROLES_CLAIM]: { [ROLE]: ORG, admin: ORG },
} as const;

/**
 * A dev IdP user who signs in on the login form: a non-ASCII login name and password, profile
 * and role. Pass as `startStack({ idp: { users: [HOSTILE_USER] } })` and log in with
 * {@link HOSTILE_CREDS}.
 */
export const HOSTILE_USER: DevIdpUser = {
  sub: '300000000000000042',
  username: EMAIL,
  password: 'Pässwörd-🔑-"1"',
  email: EMAIL,
  name: NAME,
  givenName: '太郎',
  familyName: '山田',
  roles: ['admin', ROLE],
};
export const HOSTILE_CREDS = { username: HOSTILE_USER.username, password: HOSTILE_USER.password };

/** Values that must never crash a route nor come back in a body, a header or a Location. */
export const HOSTILE_VALUES = [
  '監督者',
  '🦄',
  'a\r\nSet-Cookie: x=1',
  'say "hi"\\',
  "it's <script>alert(1)</script>",
  '%0d%0aX-Injected: 1',
  '\u2028\u0000',
] as const;

/** A header value as Fetch must carry it: the UTF-8 bytes, one latin1 character per byte. */
export const asHeader = (v: string): string => Buffer.from(v, 'utf8').toString('latin1');
/**
 * {@link asHeader} for any value: NUL, CR and LF cannot travel in a header at all (Fetch refuses
 * them, as HTTP does), so they become spaces first.
 */
export const asHeaderValue = (v: string): string => asHeader(v.replace(/[\0\r\n]/g, ' '));
/** How an upstream reads a UTF-8 header value that Fetch exposes byte-per-character. */
export const fromHeader = (v: string | null | undefined): string | null => (v == null ? null : Buffer.from(v, 'latin1').toString('utf8'));

/**
 * Asserts a refusal: 4xx (never 5xx) with an RFC 6749-style JSON body, and none of `inputs` (or a
 * recognisable slice of them) in the body or any header. Returns the parsed body.
 */
export async function expectCleanRefusal(
  res: Response,
  inputs: readonly string[],
  where = '',
): Promise<{ error: string; error_description: string }> {
  const text = await res.text();
  const label = `${where} ${res.status}`.trim();
  expect(`${label} ${res.status >= 400 && res.status < 500}`).toBe(`${label} true`);
  expect(res.headers.get('content-type') ?? '').toContain('application/json');
  const json = JSON.parse(text) as { error: string; error_description: string };
  expect(typeof json.error).toBe('string');
  expect(typeof json.error_description).toBe('string');
  expectNotEchoed(text, res.headers, inputs, where);
  return json;
}

/**
 * None of `inputs` appears in `text` or the headers: raw, JSON-escaped (a JSON body spells CR/LF
 * and quotes with backslashes), URL-encoded, as UTF-8 bytes in latin1, truncated, or as a
 * longer run between control characters and quotes (an echo that dropped the CR/LF).
 */
export function expectNotEchoed(text: string, headers: Headers, inputs: readonly string[], where = ''): void {
  const head = [...headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  for (const input of inputs) {
    const json = JSON.stringify(input).slice(1, -1);
    const runs = input.split(/[\x00-\x1f"\\]/).filter((r) => r.length >= 6);
    // A truncated echo counts too; shorter than 16 characters a slice would match innocent text.
    const cut = (v: string) => (v.length > 16 ? [v.slice(0, 16)] : []);
    const forms = new Set([input, json, encodeURIComponent(input), asHeader(input), ...cut(input), ...cut(json), ...runs].filter((f) => f.length >= 2));
    for (const f of forms) {
      if (text.includes(f)) throw new Error(`${where}: input ${JSON.stringify(input)} echoed in the body`);
      if (head.includes(f)) throw new Error(`${where}: input ${JSON.stringify(input)} echoed in a header`);
    }
  }
}
