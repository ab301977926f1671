/** PKCE pair and random state/nonce (RFC 7636 S256). */
import { expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { generatePkce, randomToken } from '../../src/idp/pkce.ts';

test('verifier is 43+ chars of the unreserved set; challenge = BASE64URL(SHA256(verifier))', async () => {
  const { verifier, challenge } = await generatePkce();
  expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
  expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
});

test('fresh every time', async () => {
  const a = await generatePkce();
  const b = await generatePkce();
  expect(a.verifier).not.toBe(b.verifier);
  const tokens = new Set(Array.from({ length: 100 }, randomToken));
  expect(tokens.size).toBe(100);
  for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
});
