/** Tiny response helpers shared by the dev IdP's own endpoints. */

/** JSON response with no-store, as token-bearing OAuth responses must be (RFC 6749 §5.1). */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache', ...headers },
  });
}

/**
 * Zitadel's error body: `{error, error_description}` — the description is left out when Zitadel
 * has none (zitadel/oidc `pkg/oidc/error.go`: `error_description,omitempty`).
 */
export function oauthError(status: number, error: string, description?: string, headers: Record<string, string> = {}): Response {
  return json(description === undefined ? { error } : { error, error_description: description }, status, headers);
}

export const epochNow = () => Math.floor(Date.now() / 1000);

/** `aud` as a list, whatever shape the JWT used. */
export function audList(aud: unknown): string[] {
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return typeof aud === 'string' ? [aud] : [];
}
