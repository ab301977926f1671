import { list, type Problems } from '../read.ts';
import type { Env } from '../schema.ts';

/** Extra identity headers on forward-auth answers. */
export interface ForwardAuthConfig {
  /** claim name → header name. */
  forwardAuthClaimHeaders: Record<string, string>;
}

export function forwardAuthSection(env: Env, problems: Problems): ForwardAuthConfig {
  const headers: Record<string, string> = {};
  for (const pair of list(env.ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS)) {
    const i = pair.lastIndexOf('=');
    const claim = pair.slice(0, i);
    const header = pair.slice(i + 1);
    if (i <= 0 || !/^[A-Za-z0-9-]+$/.test(header)) {
      problems.push(`ZITAUTH_FORWARD_AUTH_CLAIM_HEADERS: "${pair}" must look like claim=Header-Name`);
    } else headers[claim] = header;
  }
  return { forwardAuthClaimHeaders: headers };
}
