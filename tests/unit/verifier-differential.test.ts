/**
 * Differential test (issue 12 decision 2): our node:crypto verifier against jose's `jwtVerify`,
 * same key set, same options, over the corpus of tests/unit/_jwt-corpus.ts (valid tokens for
 * every algorithm and key type, every attack class, seeded mutations). They must agree on
 * accept/reject for every token, and on the claims when both accept. A disagreement fails the
 * test, whichever side is right — except the intended differences below, each of which is a
 * rule we hold and jose (by design or by default options) does not. For those the test demands
 * the specific rejection reason, and that the class actually occurs in the corpus.
 *
 * Intended differences (jose accepts, we refuse):
 * - `length`: longer than the gateway's token bound (8192) — we refuse before parsing.
 * - `signature encoding`: a signature segment that is not canonical unpadded base64url
 *   (padding, whitespace, non-zero unused bits). jose decodes leniently, and the signature
 *   segment is not covered by the signature, so such twins of a valid token verify there.
 * - `crit b64`: `crit: ["b64"]` (jose also takes `["b64", "b64"]`) with `b64: true`. jose
 *   understands b64; we implement no extension, so any `crit` is refused (RFC 7515 §4.1.11).
 * - `b64 without crit`: a `b64` other than true outside `crit`. jose ignores it; an unencoded
 *   payload is never acceptable in a JWT (RFC 7797 §7), and this header is non-conforming.
 * - `iat ahead` / `lifetime`: `iat` in the future beyond the tolerance, `exp` more than the
 *   maximum lifetime ahead (issue 11 item 10; jose checks neither without maxTokenAge).
 * - `non-finite dates`: `exp`/`nbf`/`iat` of ±1e400 (JSON for ±Infinity), which jose takes as numbers.
 * - `claim types`: `sub`/`jti` not strings, `aud` arrays with non-string members (RFC 7519 §4.1).
 */
import { describe, expect, test } from 'bun:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidToken, type RejectionReason } from '../../src/errors.ts';
import { DEFAULT_MAX_LIFETIME_SEC } from '../../src/tokens/claims.ts';
import { isJwtShaped } from '../../src/tokens/format.ts';
import { JwksCache } from '../../src/tokens/jwks.ts';
import { createJwtVerifier } from '../../src/tokens/verifier.ts';
import { ALGORITHMS, AUDIENCE, buildCorpus, ISSUER, JWKS, MAX_TOKEN_LENGTH, NOW, NOW_MS, TOLERANCE_SEC, type CorpusToken } from './_jwt-corpus.ts';

type Verdict = { ok: true; claims: JWTPayload } | { ok: false; why: string };

const cache = new JwksCache({
  jwksUri: 'https://zitadel.example.com/oauth/v2/keys',
  fetch: (async () => Response.json(JWKS)) as unknown as typeof fetch,
  timeoutMs: 1000,
  minRefreshIntervalMs: 0,
});
const ours = createJwtVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ALGORITHMS,
  clockToleranceSec: TOLERANCE_SEC,
  jwks: cache,
  maxTokenLength: MAX_TOKEN_LENGTH,
  now: () => NOW_MS,
});

async function oursOn(token: string): Promise<Verdict> {
  // Every caller brands the token with the shape check first; a token failing it is refused as malformed.
  if (!isJwtShaped(token)) return { ok: false, why: 'malformed' };
  try {
    return { ok: true, claims: await ours.verify(token) };
  } catch (err) {
    if (err instanceof InvalidToken) return { ok: false, why: err.reason };
    throw err;
  }
}

const local = createLocalJWKSet(JWKS as Parameters<typeof createLocalJWKSet>[0]);
const joseOptions = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: [...ALGORITHMS],
  requiredClaims: ['exp'],
  clockTolerance: TOLERANCE_SEC,
  currentDate: new Date(NOW_MS),
};

/**
 * jose with the same options. jose's `typ` option takes one value; ours accepts `JWT` or `at+jwt`
 * or none, so jose runs once per accepted value (no `typ` option only for a header without one).
 */
async function joseOn(token: string): Promise<Verdict> {
  let typ: unknown;
  try {
    typ = decodeProtectedHeader(token).typ;
  } catch {
    typ = undefined;
  }
  let last: unknown;
  for (const expected of typ === undefined ? [undefined] : ['JWT', 'at+jwt']) {
    try {
      const { payload } = await jwtVerify(token, local, expected === undefined ? joseOptions : { ...joseOptions, typ: expected });
      return { ok: true, claims: payload };
    } catch (err) {
      last = err;
      if (!(err instanceof errors.JWTClaimValidationFailed && err.claim === 'typ')) break;
    }
  }
  return { ok: false, why: last instanceof errors.JOSEError ? last.code : last instanceof Error ? last.name : String(last) };
}

/** Each intended difference: does the token fall in the class, and which reasons we may give for it. */
const INTENDED: { name: string; applies: (t: string) => boolean; reasons: RejectionReason[] }[] = [
  { name: 'length', applies: (t) => t.length > MAX_TOKEN_LENGTH, reasons: ['too_large'] },
  {
    name: 'signature encoding',
    applies: (t) => {
      const sig = t.split('.')[2] ?? '';
      return Buffer.from(sig, 'base64url').toString('base64url') !== sig;
    },
    reasons: ['malformed'],
  },
  {
    name: 'crit b64',
    applies: (t) => header(t, (h) => Array.isArray(h.crit) && h.crit.length > 0 && h.crit.every((p) => p === 'b64') && h.b64 === true),
    reasons: ['header'],
  },
  { name: 'b64 without crit', applies: (t) => header(t, (h) => h.crit === undefined && h.b64 !== undefined && h.b64 !== true), reasons: ['header'] },
  { name: 'iat ahead', applies: (t) => claims(t, (c) => typeof c.iat === 'number' && c.iat > NOW + TOLERANCE_SEC), reasons: ['issued_in_future', 'malformed'] },
  { name: 'lifetime', applies: (t) => claims(t, (c) => typeof c.exp === 'number' && c.exp > NOW + DEFAULT_MAX_LIFETIME_SEC + TOLERANCE_SEC), reasons: ['lifetime', 'malformed'] },
  { name: 'non-finite dates', applies: (t) => claims(t, (c) => [c.exp, c.nbf, c.iat].some((v) => typeof v === 'number' && !Number.isFinite(v))), reasons: ['malformed'] },
  {
    name: 'claim types',
    applies: (t) =>
      claims(t, (c) => (c.sub !== undefined && typeof c.sub !== 'string') || (c.jti !== undefined && typeof c.jti !== 'string') || (Array.isArray(c.aud) && c.aud.some((a) => typeof a !== 'string'))),
    reasons: ['malformed'],
  },
];

function header(token: string, test: (h: Record<string, unknown>) => boolean): boolean {
  try {
    return test(decodeProtectedHeader(token) as Record<string, unknown>);
  } catch {
    return false;
  }
}

function claims(token: string, test: (c: Record<string, unknown>) => boolean): boolean {
  try {
    return test(decodeJwt(token) as Record<string, unknown>);
  } catch {
    return false;
  }
}

describe('differential: our verifier vs jose jwtVerify', () => {
  test(
    'agree on every token of the corpus (≥ 2,000), except the listed intended differences',
    async () => {
      const corpus: CorpusToken[] = buildCorpus();
      expect(corpus.length).toBeGreaterThanOrEqual(2000);
      const disagreements: string[] = [];
      const seenIntended = new Map<string, number>();
      const tally = { accepted: 0, rejected: 0, intended: 0 };
      for (const entry of corpus) {
        const [o, j] = await Promise.all([oursOn(entry.token), joseOn(entry.token)]);
        const where = `${entry.category} / ${entry.label}`;
        if (entry.valid && !(o.ok && j.ok)) disagreements.push(`${where}: meant valid, ours ${o.ok ? 'ok' : o.why}, jose ${j.ok ? 'ok' : j.why}`);
        if (o.ok && j.ok) {
          tally.accepted++;
          if (!Bun.deepEquals(o.claims, j.claims, true)) disagreements.push(`${where}: claims differ`);
          continue;
        }
        if (!o.ok && !j.ok) {
          tally.rejected++;
          continue;
        }
        if (j.ok && !o.ok) {
          const classes = INTENDED.filter((c) => c.applies(entry.token));
          if (classes.length > 0 && classes.some((c) => c.reasons.includes(o.why as RejectionReason))) {
            tally.intended++;
            for (const c of classes) seenIntended.set(c.name, (seenIntended.get(c.name) ?? 0) + 1);
            continue;
          }
          disagreements.push(`${where}: jose accepts, ours refuses (${o.why})${classes.length ? ` [intended class ${classes.map((c) => c.name)} but reason not listed]` : ''}`);
          continue;
        }
        disagreements.push(`${where}: ours accepts, jose refuses (${(j as { why: string }).why})`);
      }
      expect(disagreements).toEqual([]);
      // The corpus is not degenerate: plenty of both verdicts, and every intended class occurs.
      expect(tally.accepted).toBeGreaterThan(500);
      expect(tally.rejected).toBeGreaterThan(1000);
      expect(INTENDED.filter((c) => !seenIntended.has(c.name)).map((c) => c.name)).toEqual([]);
    },
    120_000,
  );

  test('every attack category is refused by both (no attack token slips through either)', async () => {
    const attacks = buildCorpus(0).filter((t) => t.category !== 'valid' && !t.valid);
    expect(attacks.length).toBeGreaterThan(200);
    const accepted: string[] = [];
    for (const t of attacks) {
      const [o, j] = await Promise.all([oursOn(t.token), joseOn(t.token)]);
      if (o.ok) accepted.push(`ours: ${t.category} / ${t.label}`);
      if (j.ok && !INTENDED.some((c) => c.applies(t.token))) accepted.push(`jose: ${t.category} / ${t.label}`);
    }
    expect(accepted).toEqual([]);
  }, 60_000);
});
