/**
 * The requirement query of /validate and /forward-auth: one TypeBox schema, read two ways —
 * by Elysia for the framework routes (validation, OpenAPI, Eden types) and by
 * {@link requirementsFromUrl} for the native routes on Bun's router, whose keys and value rules
 * are derived from the same schema. The parity test (tests/integration/validate-parity.test.ts)
 * sends one table of odd query strings through both and compares the answers.
 */
import { t, type Static } from 'elysia';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Longest accepted requirement value. */
export const MAX_REQUIREMENT_LENGTH = 256;

/** A requirement value: an empty `?role=` is a malformed request (400), not an unmet role (403). */
const Requirement = t.String({ minLength: 1, maxLength: MAX_REQUIREMENT_LENGTH });

/** Query parameters expressing per-route requirements (validate, forward-auth). */
export const RequirementsQuery = t.Object({
  role: t.Optional(t.Array(Requirement, { description: 'Zitadel project role; any listed role suffices (repeat the parameter or separate with commas)' })),
  scope: t.Optional(t.Array(Requirement, { description: 'Required scope; all listed are required (needs a scope claim or introspection)' })),
  aud: t.Optional(t.Array(Requirement, { description: 'Accepted audience; any listed suffices' })),
});

/** forward-auth's query: the requirements plus the browser-login switch. */
export const ForwardAuthQuery = t.Object({
  ...RequirementsQuery.properties,
  redirect: t.Optional(
    t.Literal('login', {
      description:
        'Send a browser (no Authorization header, Accept: text/html) to the login with a 302 instead of 401, when the original URL (X-Forwarded-Proto/Host/Uri or X-Original-URL) is within an allowed return_to origin.',
    }),
  ),
});

export type Requirements = Static<typeof RequirementsQuery>;
export type ForwardAuthParams = Static<typeof ForwardAuthQuery>;

/** The requirement keys, from the schema. */
export const REQUIREMENT_KEYS = Object.keys(RequirementsQuery.properties) as (keyof Requirements)[];
const REQUIREMENT = TypeCompiler.Compile(Requirement);
const REDIRECT = TypeCompiler.Compile(ForwardAuthQuery.properties.redirect);

export const NO_REQUIREMENTS: Requirements = Object.freeze({});

/** True when the query names any requirement (the hot path skips the checks otherwise). */
export const hasRequirements = (q: Requirements): boolean => !!(q.role?.length || q.scope?.length || q.aud?.length);

/**
 * The query of `url` read as Elysia reads it for these schemas — `+` is a space, percent-escapes
 * are decoded (a malformed one is kept as written), an array parameter may repeat and each value
 * is also split at commas — then checked against the schema: undefined when a value breaks it
 * (the framework route answers 400 then). Other parameters are ignored.
 */
export function requirementsFromUrl(url: string): ForwardAuthParams | undefined {
  const qi = url.indexOf('?');
  if (qi === -1) return NO_REQUIREMENTS;
  const out: ForwardAuthParams = {};
  for (const pair of url.slice(qi + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    if (key === 'redirect') {
      if (!REDIRECT.Check(value)) return undefined;
      out.redirect = value as 'login';
      continue;
    }
    if (!(REQUIREMENT_KEYS as string[]).includes(key)) continue;
    const list = (out[key as keyof Requirements] ??= []);
    for (const v of value.split(',')) {
      if (!REQUIREMENT.Check(v)) return undefined;
      list.push(v);
    }
  }
  return out;
}

function decode(s: string): string {
  const spaced = s.includes('+') ? s.replaceAll('+', ' ') : s;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
