/**
 * A tiny parser for the Prometheus text exposition format (0.0.4), enough to check what the
 * gateway exposes: samples with labels, plus the declared TYPE of each family. Strict on
 * purpose — a malformed line throws, so a rendering bug cannot hide behind a lenient parser.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseLabels(s: string, line: string): [Record<string, string>, number] {
  // s starts right after '{'; returns the labels and the index after the closing '}'.
  const labels: Record<string, string> = {};
  let i = 0;
  while (s[i] !== '}') {
    const m = s.slice(i).match(/^([a-zA-Z_][a-zA-Z0-9_]*)="/);
    if (!m) throw new Error(`bad label in: ${line}`);
    i += m[0].length;
    let v = '';
    for (;;) {
      const c = s[i++];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i++];
        v += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e}`;
      } else v += c;
    }
    if (m[1]! in labels) throw new Error(`duplicate label ${m[1]} in: ${line}`);
    labels[m[1]!] = v;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
  return [labels, i + 1];
}

const parseValue = (v: string, line: string): number => {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  if (v === '' || Number.isNaN(n)) throw new Error(`bad value in: ${line}`);
  return n;
};

export function parsePrometheus(text: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = line.match(/^# (TYPE|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/);
      if (m) (m[1] === 'TYPE' ? out.types : out.help).set(m[2]!, m[3]!);
      continue;
    }
    const nm = line.match(NAME);
    if (!nm) throw new Error(`bad metric name in: ${line}`);
    let rest = line.slice(nm[0].length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const [l, end] = parseLabels(rest.slice(1), line);
      labels = l;
      rest = rest.slice(1 + end);
    }
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2) throw new Error(`bad sample in: ${line}`);
    out.samples.push({ name: nm[0], labels, value: parseValue(parts[0]!, line) });
  }
  return out;
}

/** Samples of `name` whose labels include every pair in `match`. */
export function select(e: Exposition, name: string, match: Record<string, string> = {}): Sample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** Sum of the matching samples (0 when none). */
export function total(e: Exposition, name: string, match: Record<string, string> = {}): number {
  return select(e, name, match).reduce((a, s) => a + s.value, 0);
}
