/**
 * A tiny Prometheus registry: counters and histograms with fixed label sets, rendered in the
 * text exposition format. Small on purpose — a full client library would be the heaviest
 * dependency in the binary for four metric families.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 */
type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escape(labels[k]!)}"`)
    .join(',');

/** One counter value; the per-request path holds on to it and increments it directly. */
interface Cell {
  n: number;
}

export class Counter {
  readonly #cells = new Map<string, Cell>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    this.cellFor(labelKey(labels)).n += by;
  }
  /** The value of the series with key `k` (made by `labelKey`), created at 0 on first use. */
  cellFor(k: string): Cell {
    let c = this.#cells.get(k);
    if (c === undefined) this.#cells.set(k, (c = { n: 0 }));
    return c;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, c] of this.#cells) lines.push(`${this.name}${k ? `{${k}}` : ''} ${c.n}`);
    return lines.join('\n');
  }
}

/** A counter whose value is read at scrape time (e.g. cache hits kept by the cache itself). */
class CallbackMetric {
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge', readonly read: () => number) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, `${this.name} ${this.read()}`].join('\n');
  }
}

/** One labelled histogram series; `counts[i]` holds observations in bucket i only (cumulated on render). */
interface Series {
  counts: number[];
  sum: number;
  count: number;
}

class Histogram {
  private readonly series = new Map<string, Series>();
  constructor(readonly name: string, readonly help: string, readonly buckets: number[]) {}
  observe(labels: Labels, value: number): void {
    this.observeSeries(this.seriesFor(labels), value);
  }
  /** The series of `labels`, created on first use; hold on to it to skip the label lookup per observation. */
  seriesFor(labels: Labels): Series {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }));
    return s;
  }
  observeSeries(s: Series, value: number): void {
    // One increment per observation: the first bucket that holds it (values above the last go to +Inf only).
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      let cumulative = 0;
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b}"} ${(cumulative += s.counts[i]!)}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly requests = new Counter('zitauth_http_requests_total', 'HTTP requests by route and status.');
  readonly requestDuration = new Histogram('zitauth_http_request_duration_seconds', 'HTTP request latency by route.', LATENCY_BUCKETS);
  readonly idpCalls = new Counter('zitauth_idp_requests_total', 'Calls to the identity provider by endpoint and outcome.');
  readonly idpDuration = new Histogram('zitauth_idp_request_duration_seconds', 'Identity provider call latency by endpoint.', LATENCY_BUCKETS);
  readonly jwksRefreshes = new Counter('zitauth_jwks_refreshes_total', 'JWKS refresh attempts by outcome.');
  readonly rejections = new Counter('zitauth_validate_rejections_total', 'Bearer tokens rejected by /validate and /forward-auth, by reason.');
  private readonly extra: CallbackMetric[] = [];
  // Per route, then per status: the counter cell and histogram series, built once. Per request
  // that is two lookups and two increments — no label work (sort, escape, join), no key string.
  // Bounded like the counter itself: routes are the app's, statuses the few it answers.
  private readonly requestSeries = new Map<string, Map<number, { count: Cell; series: Series }>>();

  private readonly counters: Counter[] = [];

  /** A further counter family (e.g. sessions), rendered with the rest. */
  counter(name: string, help: string): Counter {
    const c = new Counter(name, help);
    this.counters.push(c);
    return c;
  }

  /** Registers a value owned elsewhere (cache counters) that is read at scrape time. */
  gauge(name: string, help: string, type: 'counter' | 'gauge', read: () => number): void {
    this.extra.push(new CallbackMetric(name, help, type, read));
  }

  recordRequest(route: string, status: number, seconds: number): void {
    let byStatus = this.requestSeries.get(route);
    if (byStatus === undefined) this.requestSeries.set(route, (byStatus = new Map()));
    let rs = byStatus.get(status);
    if (rs === undefined) {
      rs = { count: this.requests.cellFor(labelKey({ route, status: String(status) })), series: this.requestDuration.seriesFor({ route }) };
      byStatus.set(status, rs);
    }
    rs.count.n++;
    this.requestDuration.observeSeries(rs.series, seconds);
  }

  // One counter cell per reason, made on first use: a junk flood costs no label work per token.
  private readonly rejectionCells = new Map<string, Cell>();

  /** One rejected token; the reason is a closed vocabulary (errors.ts), so the series stay few. */
  recordRejection(reason: string): void {
    let cell = this.rejectionCells.get(reason);
    if (cell === undefined) this.rejectionCells.set(reason, (cell = this.rejections.cellFor(labelKey({ reason }))));
    cell.n++;
  }

  recordIdpCall(endpoint: string, seconds: number, ok: boolean): void {
    this.idpCalls.inc({ endpoint, outcome: ok ? 'ok' : 'error' });
    this.idpDuration.observe({ endpoint }, seconds);
  }

  render(): string {
    return (
      [this.requests, this.requestDuration, this.idpCalls, this.idpDuration, this.jwksRefreshes, this.rejections, ...this.counters, ...this.extra]
        .map((m) => m.render())
        .join('\n') + '\n'
    );
  }
}
