/**
 * Junk tokens for the junk scenario (bun run bench, bench/ab.ts): JWT-shaped, so they pass the
 * cheap shape checks, but undecodable, so each one reaches the verifier and the negative cache —
 * the worst junk an attacker can send without a valid signature. One per line.
 */
export function junkTokens(n: number): string {
  const seg = (len: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(len))).toString('base64url');
  return Array.from({ length: n }, () => `${seg(40)}.${seg(400)}.${seg(256)}`).join('\n') + '\n';
}
