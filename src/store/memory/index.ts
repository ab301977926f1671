import type { Stores } from '../types.ts';
import { MemoryLocks, MemorySharedValues } from './locks.ts';
import { MemoryOnceSet } from './once.ts';
import { MemorySessionStore } from './sessions.ts';

export { MemorySessionStore, MemoryOnceSet, MemoryLocks, MemorySharedValues };

/** The embedded default: everything in this process (ZITAUTH_SESSION_STORE=memory). */
export function memoryStores(opts: { maxSessions: number; maxOnce: number; now?: () => number }): Stores & { sessions: MemorySessionStore } {
  const now = opts.now ?? Date.now;
  const locks = new MemoryLocks(now);
  return {
    kind: 'memory',
    sessions: new MemorySessionStore({ maxCount: opts.maxSessions, locks, now }),
    once: new MemoryOnceSet({ max: opts.maxOnce, now }),
    locks,
    shared: new MemorySharedValues(now),
    healthy: async () => true,
    close: async () => {},
  };
}
