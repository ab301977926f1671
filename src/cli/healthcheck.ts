/**
 * `zitauth healthcheck` — the container HEALTHCHECK probe.
 *
 * Distroless runtime images ship no curl/wget and no shell, so the binary probes itself: one GET
 * against the loopback listener's `/healthz`. It always targets 127.0.0.1 (not ZITAUTH_HOST):
 * a gateway bound to 0.0.0.0 answers there too, and the probe must never leave the container.
 */

/** How long the probe waits before declaring the gateway unhealthy. */
export const HEALTHCHECK_TIMEOUT_MS = 2000;

export const HEALTHCHECK_USAGE = `Usage: zitauth healthcheck

Exits 0 when the gateway on this machine (http://127.0.0.1:$PORT, default 8000) answers
GET /healthz with 200 within ${HEALTHCHECK_TIMEOUT_MS / 1000} s, 1 otherwise. Meant for container HEALTHCHECKs:
the distroless image has no curl or shell. Prints nothing.

Options:
  -h, --help   Show this help`;

/**
 * Probes `http://127.0.0.1:${PORT || 8000}/healthz`.
 *
 * @param env process environment (only `PORT` is read)
 * @param io  injectable fetch and timeout, for tests
 * @returns exit code: 0 when the gateway answered 200, 1 otherwise (refused, timeout, non-200)
 */
export async function runHealthcheck(
  env: Record<string, string | undefined>,
  io: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<number> {
  const doFetch = io.fetch ?? fetch;
  const port = parsePort(env.PORT);
  if (port === undefined) return 1;
  try {
    const res = await doFetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(io.timeoutMs ?? HEALTHCHECK_TIMEOUT_MS),
      redirect: 'manual',
    });
    // Drain the body so the socket is released before the process exits.
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return 8000;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}
