/**
 * The dev IdP's public listener (Bun.serve). It owns the port, so fault injection can drop or stall
 * it without touching oidc-provider, counts every request, and hands each one to `handle`.
 */
import type { Server } from 'bun';
import type { FaultMode } from './types.ts';

export class FrontServer {
  #server: Server<undefined> | undefined;
  #fault: FaultMode = null;
  #port: number;

  constructor(
    private readonly hostname: string,
    port: number,
    private readonly handle: (req: Request) => Promise<Response>,
    private readonly counts: Record<string, number>,
  ) {
    this.#port = port;
  }

  get port(): number {
    return this.#port;
  }

  start(): void {
    this.#server = Bun.serve({
      hostname: this.hostname,
      port: this.#port,
      // A hanging request must stay open until the client gives up, not until Bun's idle timer fires.
      idleTimeout: 0,
      fetch: (req) => this.#fetch(req),
    });
    this.#port = this.#server.port ?? this.#port;
  }

  #fetch(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    this.counts[path] = (this.counts[path] ?? 0) + 1;
    if (this.#fault === 'hang') return new Promise<Response>(() => {});
    return this.handle(req);
  }

  /** 'refuse' stops listening and drops connections; leaving it listens again on the same port. */
  async setFault(mode: FaultMode): Promise<void> {
    this.#fault = mode;
    if (mode === 'refuse') {
      await this.#stop();
    } else if (!this.#server) {
      this.start();
    }
  }

  async close(): Promise<void> {
    await this.#stop();
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await server.stop(true);
  }
}
