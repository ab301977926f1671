/**
 * The token corpus of the differential test (tests/unit/verifier-differential.test.ts): valid
 * tokens for every supported algorithm and key type, every attack class, and seeded random
 * mutations of valid tokens. Keys come from a fixture and choices from a seeded PRNG, so the
 * corpus is the same on every run (only PS* and ES* signature bytes vary: those schemes are
 * randomized, and their tokens are not mutated).
 */
import { constants, createHmac, createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import keysFixture from './fixtures/differential-keys.json';

export const ISSUER = 'https://zitadel.example.com';
/** Fixed "now" of both verifiers, in ms and seconds. */
export const NOW_MS = Date.UTC(2031, 5, 15, 12, 0, 0);
export const NOW = NOW_MS / 1000;
export const TOLERANCE_SEC = 5;
export const AUDIENCE = ['client-1', 'project-9'];
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const MAX_TOKEN_LENGTH = 8192;

type Alg = (typeof ALGORITHMS)[number];
type KeyName = Exclude<keyof typeof keysFixture, '_comment'>;

const privateKeys = Object.fromEntries(
  Object.entries(keysFixture)
    .filter(([name]) => name !== '_comment')
    .map(([name, jwk]) => [name, createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })]),
) as Record<KeyName, KeyObject>;
const publicJwk = (name: KeyName): Record<string, unknown> => createPublicKey(privateKeys[name]).export({ format: 'jwk' }) as Record<string, unknown>;

/** The published key set: every key type, with and without `alg`, plus keys that must never verify. */
export const JWKS = {
  keys: [
    { ...publicJwk('rsa2048a'), kid: 'rsa-a', alg: 'RS256', use: 'sig' },
    { ...publicJwk('rsa3072'), kid: 'rsa-b' }, // no alg: any RS*/PS*
    { ...publicJwk('rsa2048b'), kid: 'rsa-pss', alg: 'PS256', use: 'sig', key_ops: ['verify'] },
    { ...publicJwk('p256'), kid: 'ec-256', alg: 'ES256', use: 'sig' },
    { ...publicJwk('p384'), kid: 'ec-384' },
    { ...publicJwk('p521'), kid: 'ec-521', alg: 'ES512' },
    { ...publicJwk('ed25519a'), kid: 'ed-a', alg: 'EdDSA', use: 'sig' },
    { ...publicJwk('ed25519b'), kid: 'ed-b', alg: 'Ed25519' },
    { ...publicJwk('ed25519c') }, // no kid, no alg
    { ...publicJwk('rsa2048b'), kid: 'rsa-enc', use: 'enc' },
    { ...publicJwk('rsa2048b'), kid: 'rsa-signonly', key_ops: ['sign'] },
    { ...publicJwk('rsa1024'), kid: 'rsa-small', alg: 'RS256' },
  ],
};

/** One corpus entry. `valid`: the generator means it to be acceptable (both verifiers must accept it). */
export interface CorpusToken {
  category: string;
  label: string;
  token: string;
  valid?: boolean;
}

const b64 = (v: string | Buffer) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v).toString('base64url');
const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Signs `signingInput` as `signAs` with the named private key (which may not match the header: confusion attacks). */
function signature(signingInput: string, signAs: Alg | 'PS256-salt64' | 'ES256-der', key: KeyName): Buffer {
  const k = privateKeys[key];
  const data = Buffer.from(signingInput);
  switch (signAs) {
    case 'PS256-salt64':
      return cryptoSign('sha256', data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 });
    case 'ES256-der':
      return cryptoSign('sha256', data, k);
    case 'EdDSA':
    case 'Ed25519':
      return cryptoSign(null, data, k);
  }
  const hash = `sha${signAs.slice(2)}`;
  if (signAs.startsWith('PS')) return cryptoSign(hash, data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(signAs.slice(2)) / 8 });
  if (signAs.startsWith('ES')) return cryptoSign(hash, data, { key: k, dsaEncoding: 'ieee-p1363' });
  return cryptoSign(hash, data, k);
}

/** A compact JWS over arbitrary header/claims text (objects are JSON-encoded), signed with `key` as `signAs`. */
export function jws(header: unknown, claims: unknown, key: KeyName, signAs: Alg | 'PS256-salt64' | 'ES256-der'): string {
  const input = `${b64(json(header))}.${b64(json(claims))}`;
  return `${input}.${b64(signature(input, signAs, key))}`;
}

/** Raw segments, for payload bytes that are not valid UTF-8 text. */
function jwsBytes(header: unknown, claimBytes: Buffer, key: KeyName, signAs: Alg): string {
  const input = `${b64(json(header))}.${b64(claimBytes)}`;
  return `${input}.${b64(signature(input, signAs, key))}`;
}

export const baseClaims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISSUER,
  sub: '300000000000000010',
  aud: ['client-1', 'project-9', '300000000000000003@zitauth'],
  iat: NOW - 10,
  nbf: NOW - 10,
  exp: NOW + 3600,
  jti: 'V2_300000000000000099-at_300000000000000098',
  client_id: 'client-1',
  preferred_username: '山田太郎',
  email: 'josé@exämple.com',
  name: 'Zoë "Q" O\'Brien\r\nX-Injected: 1 🎉',
  'urn:zitadel:iam:org:project:roles': { 管理者: { '300000000000000000': 'zitauth.localhost' }, '🚀': { '1': 'x' } },
  ...extra,
});

/** Where each algorithm's valid tokens are signed: key name and kid (undefined: no kid header). */
const SIGNERS: Record<Alg, [KeyName, string | undefined][]> = {
  RS256: [['rsa2048a', 'rsa-a'], ['rsa3072', 'rsa-b']],
  RS384: [['rsa3072', 'rsa-b']],
  RS512: [['rsa3072', 'rsa-b']],
  PS256: [['rsa2048b', 'rsa-pss'], ['rsa3072', 'rsa-b']],
  PS384: [['rsa3072', 'rsa-b']],
  PS512: [['rsa3072', 'rsa-b']],
  ES256: [['p256', 'ec-256']],
  ES384: [['p384', 'ec-384'], ['p384', undefined]],
  ES512: [['p521', 'ec-521']],
  EdDSA: [['ed25519a', 'ed-a']],
  Ed25519: [['ed25519b', 'ed-b']],
};

const TYPS: (string | undefined)[] = ['JWT', 'at+jwt', 'application/at+JWT', undefined];

/** Claim sets every valid token is tried with (all acceptable at NOW with the tolerance). */
const VALID_CLAIMS: [string, Record<string, unknown>][] = [
  ['base', baseClaims()],
  ['aud string', baseClaims({ aud: 'client-1' })],
  ['aud other listed', baseClaims({ aud: ['someone', 'project-9'] })],
  ['no nbf, no iat, no jti', (({ nbf: _n, iat: _i, jti: _j, ...c }) => c)(baseClaims())],
  ['exp just ahead', baseClaims({ exp: NOW + 1 })],
  ['exp within tolerance', baseClaims({ exp: NOW - TOLERANCE_SEC + 1 })],
  ['nbf within tolerance', baseClaims({ nbf: NOW + TOLERANCE_SEC })],
  ['iat within tolerance', baseClaims({ iat: NOW + TOLERANCE_SEC })],
  ['fractional dates', baseClaims({ iat: NOW - 0.5, exp: NOW + 60.25 })],
  ['exp a year ahead', baseClaims({ exp: NOW + 365 * 86400 })],
  ['nested and unicode claims', baseClaims({ 'urn:zitadel:iam:user:metadata': { key: b64('värde') }, arr: [1, 'два', { 三: null }], empty: {} })],
];

function validTokens(): CorpusToken[] {
  const out: CorpusToken[] = [];
  for (const alg of ALGORITHMS) {
    for (const [key, kid] of SIGNERS[alg]) {
      for (const typ of TYPS) {
        for (const [label, claims] of VALID_CLAIMS) {
          const header = { alg, ...(kid === undefined ? {} : { kid }), ...(typ === undefined ? {} : { typ }) };
          out.push({ category: 'valid', label: `${alg} ${kid ?? '(no kid)'} typ=${typ ?? '(none)'} ${label}`, token: jws(header, claims, key, alg), valid: true });
        }
      }
    }
  }
  return out;
}

function attackTokens(): CorpusToken[] {
  const out: CorpusToken[] = [];
  const add = (category: string, label: string, token: string, valid = false) => out.push({ category, label, token, valid });
  const rs = (header: Record<string, unknown>, claims: unknown = baseClaims()) => jws({ alg: 'RS256', kid: 'rsa-a', typ: 'JWT', ...header }, claims, 'rsa2048a', 'RS256');
  const claims = baseClaims();

  // alg none, in every spelling, with an empty and a junk signature.
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    for (const kid of ['rsa-a', undefined]) {
      const input = `${b64(json({ alg, ...(kid ? { kid } : {}), typ: 'JWT' }))}.${b64(json(claims))}`;
      add('alg none', `${alg} ${kid ?? ''} empty signature`, `${input}.`);
      add('alg none', `${alg} ${kid ?? ''} junk signature`, `${input}.${b64('junk')}`);
      add('alg none', `${alg} ${kid ?? ''} RS256 signature`, `${input}.${b64(signature(input, 'RS256', 'rsa2048a'))}`);
    }
  }
  // HS* with the public key as the secret (PEM, DER, JWK JSON): key confusion.
  const pub = createPublicKey(privateKeys.rsa2048a);
  const secrets: [string, Buffer][] = [
    ['SPKI PEM', Buffer.from(pub.export({ type: 'spki', format: 'pem' }) as string)],
    ['PKCS1 PEM', Buffer.from(pub.export({ type: 'pkcs1', format: 'pem' }) as string)],
    ['SPKI DER', pub.export({ type: 'spki', format: 'der' })],
    ['JWK JSON', Buffer.from(JSON.stringify(JWKS.keys[0]))],
  ];
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    for (const [what, secret] of secrets) {
      for (const kid of ['rsa-a', undefined]) {
        const input = `${b64(json({ alg, ...(kid ? { kid } : {}), typ: 'JWT' }))}.${b64(json(baseClaims({ sub: 'admin' })))}`;
        add('HS with public key', `${alg} ${what} ${kid ?? ''}`, `${input}.${b64(createHmac(`sha${alg.slice(2)}`, secret).update(input).digest())}`);
      }
    }
  }
  // Odd alg values.
  for (const alg of [undefined, '', 'rs256', 'RS256 ', ' RS256', 'RS1', 'ES256K', 'RSA-OAEP', 'ML-DSA-44', 7, null, ['RS256'], { RS256: true }]) {
    add('alg values', `alg ${JSON.stringify(alg)}`, jws({ ...(alg === undefined ? {} : { alg }), kid: 'rsa-a' }, claims, 'rsa2048a', 'RS256'));
  }
  // Algorithm / key confusion: the header names one scheme, the key or signature is another.
  add('alg confusion', 'PS256 header, PKCS#1 signature', jws({ alg: 'PS256', kid: 'rsa-b' }, claims, 'rsa3072', 'RS256'));
  add('alg confusion', 'RS256 header, PSS signature', jws({ alg: 'RS256', kid: 'rsa-b' }, claims, 'rsa3072', 'PS256'));
  add('alg confusion', 'PS256 with salt 64', jws({ alg: 'PS256', kid: 'rsa-b' }, claims, 'rsa3072', 'PS256-salt64'));
  add('alg confusion', 'ES256 with a DER signature', jws({ alg: 'ES256', kid: 'ec-256' }, claims, 'p256', 'ES256-der'));
  add('alg confusion', 'ES256 header, kid of an RSA key', jws({ alg: 'ES256', kid: 'rsa-a' }, claims, 'p256', 'ES256'));
  add('alg confusion', 'RS256 header, kid of an EC key', jws({ alg: 'RS256', kid: 'ec-256' }, claims, 'rsa2048a', 'RS256'));
  add('alg confusion', 'ES384 on the P-256 key', jws({ alg: 'ES384', kid: 'ec-256' }, claims, 'p256', 'ES256'));
  add('alg confusion', 'ES512 on the P-384 key (no alg on the key)', jws({ alg: 'ES512', kid: 'ec-384' }, claims, 'p384', 'ES384'));
  add('alg confusion', 'RS384 on a key published for RS256', jws({ alg: 'RS384', kid: 'rsa-a' }, claims, 'rsa2048a', 'RS384'));
  add('alg confusion', 'RS256 on a key published for PS256', jws({ alg: 'RS256', kid: 'rsa-pss' }, claims, 'rsa2048b', 'RS256'));
  add('alg confusion', 'Ed25519 on a key published for EdDSA', jws({ alg: 'Ed25519', kid: 'ed-a' }, claims, 'ed25519a', 'Ed25519'));
  add('alg confusion', 'EdDSA on a key published for Ed25519', jws({ alg: 'EdDSA', kid: 'ed-b' }, claims, 'ed25519b', 'EdDSA'));
  add('alg confusion', 'EdDSA without kid: two Ed25519 keys fit', jws({ alg: 'EdDSA' }, claims, 'ed25519c', 'EdDSA'));
  add('alg confusion', 'RS256 without kid: several RSA keys fit', jws({ alg: 'RS256' }, claims, 'rsa2048a', 'RS256'));
  // Keys that must never verify.
  add('unusable key', 'kid of a use=enc key', jws({ alg: 'RS256', kid: 'rsa-enc' }, claims, 'rsa2048b', 'RS256'));
  add('unusable key', 'kid of a key_ops=[sign] key', jws({ alg: 'RS256', kid: 'rsa-signonly' }, claims, 'rsa2048b', 'RS256'));
  add('unusable key', 'kid of a 1024-bit RSA key', jws({ alg: 'RS256', kid: 'rsa-small' }, claims, 'rsa1024', 'RS256'));
  for (const kid of ['unknown', '', '山田', 'rsa-a ', 'RSA-A', 7, null, { k: 1 }, ['rsa-a']]) {
    add('kid values', `kid ${JSON.stringify(kid)}`, jws({ alg: 'RS256', kid }, claims, 'rsa2048a', 'RS256'));
  }
  // Embedded keys and key URLs: never used for key selection.
  const attackerJwk = { ...createPublicKey(privateKeys.attackerRsa).export({ format: 'jwk' }), kid: 'rsa-a' };
  for (const [what, extra] of [
    ['jwk', { jwk: attackerJwk }],
    ['jku', { jku: 'https://evil.example/keys' }],
    ['x5u', { x5u: 'https://evil.example/cert.pem' }],
    ['x5c', { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }],
    ['x5t', { x5t: 'dGh1bWJwcmludA' }],
    ['x5t#S256', { 'x5t#S256': 'dGh1bWJwcmludA' }],
  ] as const) {
    add('embedded key', `${what} + attacker signature, kid of a real key`, jws({ alg: 'RS256', kid: 'rsa-a', ...extra }, baseClaims({ sub: 'admin' }), 'attackerRsa', 'RS256'));
    add('embedded key', `${what} + attacker signature, no kid`, jws({ alg: 'RS256', ...extra }, baseClaims({ sub: 'admin' }), 'attackerRsa', 'RS256'));
    add('embedded key', `${what} + real signature (the header is just ignored)`, rs(extra), true);
  }
  add('embedded key', 'attacker EC key, kid ec-256', jws({ alg: 'ES256', kid: 'ec-256' }, claims, 'attackerP256', 'ES256'));
  add('embedded key', 'attacker Ed25519 key, kid ed-a', jws({ alg: 'EdDSA', kid: 'ed-a' }, claims, 'attackerEd25519', 'EdDSA'));
  // crit and b64.
  for (const [label, extra] of [
    ['crit [exp]', { crit: ['exp'], exp: 1 }],
    ['crit [b64], b64 true', { crit: ['b64'], b64: true }],
    ['crit [b64], b64 false', { crit: ['b64'], b64: false }],
    ['crit []', { crit: [] }],
    ['crit "b64"', { crit: 'b64', b64: true }],
    ['crit [""]', { crit: [''] }],
    ['crit [b64, b64]', { crit: ['b64', 'b64'], b64: true }],
    ['crit [zitadel]', { crit: ['urn:zitadel:x'], 'urn:zitadel:x': 1 }],
    ['crit null', { crit: null }],
    ['b64 false, no crit', { b64: false }],
    ['b64 "false", no crit', { b64: 'false' }],
    ['b64 0, no crit', { b64: 0 }],
  ] as const) {
    add('crit and b64', label, rs(extra));
  }
  add('crit and b64', 'b64 true, no crit', rs({ b64: true }), true);
  // typ.
  for (const typ of ['logout+jwt', 'id_token+jwt', 'JOSE', 'JOSE+JSON', 'jwt ', 'application/', 'text/jwt', 'application/json', '', 7, null, ['JWT']]) {
    add('typ', `typ ${JSON.stringify(typ)}`, rs({ typ }));
  }
  for (const typ of ['jwt', 'Jwt', 'application/jwt', 'APPLICATION/AT+JWT', 'AT+JWT']) add('typ', `typ ${typ}`, rs({ typ }), true);
  // Claims: issuer, audience, times, types.
  const claimCases: [string, Record<string, unknown>][] = [
    ['iss other', { iss: 'https://evil.example.com' }],
    ['iss trailing slash', { iss: `${ISSUER}/` }],
    ['iss case', { iss: ISSUER.toUpperCase() }],
    ['iss missing', { iss: undefined }],
    ['iss number', { iss: 42 }],
    ['iss array', { iss: [ISSUER] }],
    ['aud other', { aud: ['someone-else'] }],
    ['aud missing', { aud: undefined }],
    ['aud empty array', { aud: [] }],
    ['aud number', { aud: 7 }],
    ['aud object', { aud: { 'client-1': true } }],
    ['aud null', { aud: null }],
    ['aud with a non-string member', { aud: [1, 'client-1'] }],
    ['aud case', { aud: ['CLIENT-1'] }],
    ['exp missing', { exp: undefined }],
    ['exp string', { exp: String(NOW + 60) }],
    ['exp null', { exp: null }],
    ['exp boolean', { exp: true }],
    ['exp past', { exp: NOW - 3600 }],
    ['exp at the tolerance edge', { exp: NOW - TOLERANCE_SEC }],
    ['exp 0', { exp: 0 }],
    ['exp negative', { exp: -1 }],
    ['exp 1e308', { exp: 1e308 }],
    ['exp 1e10', { exp: 1e10 }],
    ['exp 2 years ahead', { exp: NOW + 2 * 365 * 86400 }],
    ['nbf future', { nbf: NOW + 60 }],
    ['nbf just beyond tolerance', { nbf: NOW + TOLERANCE_SEC + 1 }],
    ['nbf string', { nbf: 'now' }],
    ['nbf far future', { nbf: 1e308 }],
    ['iat ten years ahead', { iat: NOW + 10 * 365 * 86400 }],
    ['iat just beyond tolerance', { iat: NOW + TOLERANCE_SEC + 1 }],
    ['iat string', { iat: '2031-06-15' }],
    ['iat object', { iat: {} }],
    ['sub number', { sub: 300000000000000010 }],
    ['sub null', { sub: null }],
    ['jti number', { jti: 99 }],
  ];
  for (const [label, extra] of claimCases) add('claims', label, rs({}, baseClaims(extra)));
  // Numbers JSON.stringify cannot write: exp/nbf/iat of ±1e400 (parse to ±Infinity).
  const text = JSON.stringify(baseClaims());
  for (const [label, from, to] of [
    ['exp 1e400', `"exp":${NOW + 3600}`, '"exp":1e400'],
    ['exp -1e400', `"exp":${NOW + 3600}`, '"exp":-1e400'],
    ['nbf -1e400', `"nbf":${NOW - 10}`, '"nbf":-1e400'],
    ['iat -1e400', `"iat":${NOW - 10}`, '"iat":-1e400'],
    ['iat 1e400', `"iat":${NOW - 10}`, '"iat":1e400'],
  ] as const) {
    add('claims', label, rs({}, text.replace(from, to)));
  }
  // Header and payload that are not JSON objects, or not JSON, or not UTF-8.
  for (const payload of ['[]', `[${text}]`, '"claims"', '123', 'null', 'true', '{}', `${text}x`, `${text.slice(0, -1)}`, `/*c*/${text}`]) {
    add('payload shape', `payload ${JSON.stringify(payload.slice(0, 12))}…`, rs({}, payload));
  }
  for (const header of ['[]', '["RS256"]', '"RS256"', '{}', 'null', '{"alg":"RS256","kid":"rsa-a"']) {
    add('header shape', `header ${JSON.stringify(header)}`, jws(header, claims, 'rsa2048a', 'RS256'));
  }
  // JSON whitespace around the object is JSON (RFC 8259 §2), and a UTF-8 BOM may be skipped (§8.1): both accept.
  for (const payload of [`${text} `, ` ${text}`, `\t${text}\n`, `\ufeff${text}`]) {
    add('payload shape', `payload ${JSON.stringify(payload.slice(0, 4))}… (whitespace or BOM)`, rs({}, payload), true);
  }
  for (const header of ['{"alg":"RS256","kid":"rsa-a"} ', ' {"alg":"RS256","kid":"rsa-a"}', '\r\n{"alg":"RS256","kid":"rsa-a"}']) {
    add('header shape', `header ${JSON.stringify(header)}`, jws(header, claims, 'rsa2048a', 'RS256'), true);
  }
  add('payload shape', 'invalid UTF-8 in a claim', jwsBytes({ alg: 'RS256', kid: 'rsa-a' }, Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'rsa2048a', 'RS256'));
  add('payload shape', 'UTF-16 claims', jwsBytes({ alg: 'RS256', kid: 'rsa-a' }, Buffer.from(text, 'utf16le'), 'rsa2048a', 'RS256'));
  add('payload shape', 'lone surrogate escape in a claim', rs({}, `${text.slice(0, -1)},"x":"\\ud800"}`), true);
  add('payload shape', '__proto__ claim', rs({}, `${text.slice(0, -1)},"__proto__":{"admin":true}}`), true);
  add('header shape', 'invalid UTF-8 in the header', (() => {
    const input = `${b64(Buffer.concat([Buffer.from('{"alg":"RS256","kid":"rsa-a","x":"'), Buffer.from([0xff]), Buffer.from('"}')]))}.${b64(text)}`;
    return `${input}.${b64(signature(input, 'RS256', 'rsa2048a'))}`;
  })());
  // Duplicate member names: the last one counts, in both.
  add('duplicate keys', 'header alg none then RS256', jws('{"alg":"none","alg":"RS256","kid":"rsa-a"}', claims, 'rsa2048a', 'RS256'), true);
  add('duplicate keys', 'header alg RS256 then none', jws('{"alg":"RS256","alg":"none","kid":"rsa-a"}', claims, 'rsa2048a', 'RS256'));
  add('duplicate keys', 'header kid twice', jws('{"alg":"RS256","kid":"nope","kid":"rsa-a"}', claims, 'rsa2048a', 'RS256'), true);
  add('duplicate keys', 'iss evil then ours', rs({}, `{"iss":"https://evil.example","iss":${JSON.stringify(ISSUER)},"aud":"client-1","exp":${NOW + 60}}`), true);
  add('duplicate keys', 'iss ours then evil', rs({}, `{"iss":${JSON.stringify(ISSUER)},"iss":"https://evil.example","aud":"client-1","exp":${NOW + 60}}`));
  add('duplicate keys', 'exp past then future', rs({}, `{"iss":${JSON.stringify(ISSUER)},"aud":"client-1","exp":1,"exp":${NOW + 60}}`), true);
  add('duplicate keys', 'exp future then past', rs({}, `{"iss":${JSON.stringify(ISSUER)},"aud":"client-1","exp":${NOW + 60},"exp":1}`));
  // Tampering.
  const good = rs({});
  const [h, p, s] = good.split('.') as [string, string, string];
  add('tampered', 'payload re-encoded with sub admin', `${h}.${b64(json(baseClaims({ sub: 'admin' })))}.${s}`);
  add('tampered', 'header re-encoded with another kid', `${b64(json({ alg: 'RS256', kid: 'rsa-b', typ: 'JWT' }))}.${p}.${s}`);
  add('tampered', 'signature of another token', `${h}.${p}.${rs({}, baseClaims({ sub: 'other' })).split('.')[2]}`);
  add('tampered', 'signature by another key under the same kid', `${h}.${p}.${jws({ alg: 'RS256', kid: 'rsa-a', typ: 'JWT' }, baseClaims(), 'rsa2048b', 'RS256').split('.')[2]}`);
  add('tampered', 'signature truncated by a byte', `${h}.${p}.${b64(Buffer.from(s, 'base64url').subarray(1))}`);
  add('tampered', 'signature extended by a byte', `${h}.${p}.${b64(Buffer.concat([Buffer.from(s, 'base64url'), Buffer.from([0])]))}`);
  add('tampered', 'signature all zero', `${h}.${p}.${b64(Buffer.alloc(256))}`);
  add('tampered', 'signature empty', `${h}.${p}.`);
  add('tampered', 'payload empty', `${h}..${s}`);
  add('tampered', 'header empty', `.${p}.${s}`);
  add('tampered', 'two segments', `${h}.${p}`);
  add('tampered', 'four segments', `${h}.${p}.${s}.${s}`);
  add('tampered', 'JWE shape (five segments)', `${h}.${p}.${p}.${p}.${s}`);
  add('tampered', 'only dots', '..');
  add('tampered', 'empty string', '');
  const es = jws({ alg: 'ES256', kid: 'ec-256' }, claims, 'p256', 'ES256');
  const esSig = Buffer.from(es.split('.')[2]!, 'base64url');
  add('tampered', 'ES256 signature with S negated', (() => {
    // (r, n - s) is the other valid ECDSA signature of the same message: both verifiers accept it.
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const sNeg = (n - BigInt(`0x${esSig.subarray(32).toString('hex')}`)).toString(16).padStart(64, '0');
    return `${es.split('.').slice(0, 2).join('.')}.${b64(Buffer.concat([esSig.subarray(0, 32), Buffer.from(sNeg, 'hex')]))}`;
  })(), true);
  add('tampered', 'ES256 signature halves swapped', `${es.split('.').slice(0, 2).join('.')}.${b64(Buffer.concat([esSig.subarray(32), esSig.subarray(0, 32)]))}`);
  // base64url: the standard alphabet, padding, whitespace, non-canonical trailing bits.
  for (const [seg, name] of [[0, 'header'], [1, 'payload'], [2, 'signature']] as const) {
    const parts = [h, p, s];
    const at = (f: (x: string) => string) => parts.map((x, i) => (i === seg ? f(x) : x)).join('.');
    add('base64url', `${name} padded`, at((x) => x + '='.repeat((4 - (x.length % 4)) % 4 || 2)));
    add('base64url', `${name} with +`, at((x) => x.replace(/-/g, '+').replace(/_/g, '/') + (x.includes('-') || x.includes('_') ? '' : '+')));
    add('base64url', `${name} with a space`, at((x) => `${x.slice(0, 8)} ${x.slice(8)}`));
    add('base64url', `${name} with a newline`, at((x) => `${x.slice(0, 8)}\n${x.slice(8)}`));
    add('base64url', `${name} with a non-ASCII letter`, at((x) => `${x.slice(0, 8)}é${x.slice(8)}`));
    add('base64url', `${name} with a 4n+1 length`, at((x) => x + 'A'.repeat((1 - (x.length % 4) + 4) % 4 || 4)));
    add('base64url', `${name} non-canonical last character`, at(nonCanonical));
  }
  // Oversized, and right at the bound.
  add('size', 'a 10 KB claim', rs({}, baseClaims({ blob: 'x'.repeat(10_000) })));
  add('size', 'far beyond the bound', rs({}, baseClaims({ blob: '山'.repeat(20_000) })));
  // No token has a length of 4k+1 characters in its payload segment: take the nearest possible.
  const near = (target: number, step: 1 | -1) => {
    for (let n = target; n !== target + 4 * step; n += step) {
      try {
        return padTo(n);
      } catch {
        // not a possible length, try the next
      }
    }
    throw new Error(`no token length near ${target}`);
  };
  add('size', 'at the bound', near(MAX_TOKEN_LENGTH, -1), true);
  add('size', 'just over the bound', near(MAX_TOKEN_LENGTH + 1, 1));
  return out;
}

/** `segment` with its last character changed only in bits that decoding ignores (RFC 4648 §3.5), when it has such bits. */
function nonCanonical(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const rem = segment.length % 4;
  if (rem === 0) return segment;
  const v = alphabet.indexOf(segment.at(-1)!);
  // Bit 0 of the last character is unused whenever the length is not a multiple of 4.
  return segment.slice(0, -1) + alphabet[v | 0x01];
}

/** A valid RS256 token of exactly `length` characters: a filler claim sized by arithmetic, signed once. */
function padTo(length: number): string {
  const header = { alg: 'RS256', kid: 'rsa-a' };
  const headerLength = b64(json(header)).length;
  const signatureLength = 342; // 256 bytes of RSA-2048, unpadded base64url
  const payloadLength = length - headerLength - 1 - 1 - signatureLength;
  // An unpadded base64url text of n bytes has ceil(4n/3) characters; no length is 4k+1.
  if (payloadLength % 4 === 1) throw new Error(`no token has length ${length}`);
  const bytes = Math.floor((payloadLength * 3) / 4);
  const without = Buffer.byteLength(json(baseClaims({ fill: '' })));
  const token = jws(header, baseClaims({ fill: 'f'.repeat(bytes - without) }), 'rsa2048a', 'RS256');
  if (token.length !== length) throw new Error(`built ${token.length} characters, wanted ${length}`);
  return token;
}

/** Deterministic PRNG (mulberry32): the same mutations on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MUTATION_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. \n\té山\u0000"';

function mutations(bases: CorpusToken[], count: number, seed: number): CorpusToken[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const char = () => MUTATION_CHARS[int(MUTATION_CHARS.length)]!;
  const out: CorpusToken[] = [];
  for (let i = 0; i < count; i++) {
    const base = bases[int(bases.length)]!;
    const t = base.token;
    const at = int(t.length);
    let token: string;
    let what: string;
    switch (int(9)) {
      case 0:
        token = t.slice(0, at) + char() + t.slice(at + 1);
        what = `replace at ${at}`;
        break;
      case 1:
        token = t.slice(0, at) + t.slice(at + 1);
        what = `delete at ${at}`;
        break;
      case 2:
        token = t.slice(0, at) + char() + t.slice(at);
        what = `insert at ${at}`;
        break;
      case 3: {
        // Flip one bit of one decoded byte of a segment, re-encoded canonically.
        const parts = t.split('.');
        const seg = int(3);
        const bytes = Buffer.from(parts[seg]!, 'base64url');
        if (bytes.length > 0) bytes[int(bytes.length)]! ^= 1 << int(8);
        parts[seg] = bytes.toString('base64url');
        token = parts.join('.');
        what = `bit flip in segment ${seg}`;
        break;
      }
      case 4:
        token = t.slice(0, at);
        what = `truncate at ${at}`;
        break;
      case 5: {
        const parts = t.split('.');
        const a = int(3);
        const b = int(3);
        [parts[a], parts[b]] = [parts[b]!, parts[a]!];
        token = parts.join('.');
        what = `swap segments ${a} and ${b}`;
        break;
      }
      case 6: {
        const c = t[at]!;
        token = t.slice(0, at) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + t.slice(at + 1);
        what = `flip case at ${at}`;
        break;
      }
      case 7: {
        const other = bases[int(bases.length)]!.token.split('.');
        const parts = t.split('.');
        const seg = int(3);
        parts[seg] = other[seg]!;
        token = parts.join('.');
        what = `segment ${seg} from another token`;
        break;
      }
      default:
        token = nonCanonicalAt(t, int(3));
        what = 'non-canonical last character of a segment';
    }
    out.push({ category: 'mutation', label: `${what} of [${base.label}]`, token });
  }
  return out;
}

function nonCanonicalAt(t: string, seg: number): string {
  const parts = t.split('.');
  parts[seg] = nonCanonical(parts[seg]!);
  return parts.join('.');
}

/** The whole corpus: valid tokens, attacks, and `mutationCount` seeded mutations of deterministic-signature valid tokens. */
export function buildCorpus(mutationCount = 1500, seed = 0x5eed_1d): CorpusToken[] {
  const valid = validTokens();
  // PS* and ES* signatures are randomized: mutate only tokens whose bytes are the same every run.
  const deterministic = valid.filter((t) => /^(RS|Ed)/.test(t.label));
  return [...valid, ...attackTokens(), ...mutations(deterministic, mutationCount, seed)];
}
