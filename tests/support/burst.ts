/**
 * Fires N concurrent requests at a URL from a separate process and prints a JSON summary.
 * Why a separate process: Bun caps concurrent outgoing fetches per process (256 by default), so
 * 1,000 in-flight test requests in the test process would queue the gateway's own calls to the
 * IdP behind them and time out — a harness artefact, not gateway behaviour.
 *
 * Usage: bun tests/support/burst.ts <url> <count> [header=value ...]
 * Output: { statuses: { "200": n, … }, distinctTokens: n }
 */
const [url, countArg, ...headerArgs] = process.argv.slice(2);
if (!url) throw new Error('usage: burst.ts <url> <count> [header=value ...]');
const headers = Object.fromEntries(headerArgs.map((h) => [h.slice(0, h.indexOf('=')), h.slice(h.indexOf('=') + 1)]));
const count = Number(countArg ?? 1000);
const results = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    fetch(url, { method: i % 2 ? 'POST' : 'GET', headers }).then(async (r) => {
      const body = (await r.json().catch(() => ({}))) as { access_token?: string };
      return { status: r.status, token: body.access_token };
    }),
  ),
);
const statuses: Record<string, number> = {};
for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
console.log(JSON.stringify({ statuses, distinctTokens: new Set(results.map((r) => r.token).filter(Boolean)).size }));

// A module (not a script), so the top-level await above is allowed.
export {};
