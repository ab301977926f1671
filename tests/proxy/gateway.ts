/**
 * The gateway that answers forward-auth with `redirect=login`: the stack's own app (createApp
 * wires the browser login). Probed once so a test fails clearly if that wiring is lost.
 */
import type { Stack } from '../support/stack.ts';

export async function browserLoginGateway(stack: Stack, originalUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const probe = await fetch(`${stack.url}/api/v1/forward-auth?redirect=login`, {
    redirect: 'manual',
    headers: { accept: 'text/html', 'x-original-url': originalUrl },
  });
  if (probe.status !== 302) throw new Error(`forward-auth ?redirect=login is not wired in createApp (got ${probe.status})`);
  return { url: stack.url, stop: async () => {} };
}
