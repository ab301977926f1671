/**
 * The gateway's `App` type, for type-checking this package inside the repository.
 *
 * The published package does not contain this file: `bun run build:client` replaces it with a
 * generated `gateway.d.ts` holding the same route table written out in plain types (see
 * scripts/route-types.ts), so installing the client needs none of the gateway's sources.
 */
export type { App } from '../../src/app.ts';
