import type { SessionEvents } from '../session/service.ts';
import type { Stores } from '../store/types.ts';
import { MemorySessionStore } from '../store/memory/sessions.ts';
import type { Metrics } from './metrics.ts';

/** Session counters as events, and the memory store's size and evictions read at scrape time. */
export function sessionMetrics(metrics: Metrics, stores: Stores): SessionEvents {
  const created = metrics.counter('zitauth_sessions_created_total', 'Sessions created at the login callback.');
  const ended = metrics.counter('zitauth_sessions_ended_total', 'Sessions ended, by reason.');
  const refreshes = metrics.counter('zitauth_session_refreshes_total', 'Session access-token refreshes, by outcome (joined: waited for a refresh already running).');
  if (stores.sessions instanceof MemorySessionStore) {
    const store = stores.sessions;
    metrics.gauge('zitauth_sessions_active', 'Sessions held in memory.', 'gauge', () => store.stats.size);
    metrics.gauge('zitauth_sessions_evicted_total', 'Sessions ended because the memory store was full (ZITAUTH_SESSION_MAX_COUNT).', 'counter', () => store.stats.evictions);
  }
  return {
    created: () => created.inc(),
    ended: (reason) => ended.inc({ reason }),
    refreshed: (outcome) => refreshes.inc({ outcome }),
  };
}
