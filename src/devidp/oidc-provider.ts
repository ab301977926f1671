/**
 * The one place the dev IdP loads oidc-provider's runtime code.
 *
 * oidc-provider's package entry (`lib/index.js`) prints "Unsupported runtime. Use Node.js v22.x LTS"
 * whenever it is evaluated under Bun or a Node release older than 22 (it checks `typeof Bun` and
 * `process.release.lts`). That advice is wrong for us — the dev IdP is tested on Bun — and it reached
 * every `zitauth dev` user. The entry module does nothing else than re-export the classes below, so
 * we import them from their own modules and the check never runs. The package has no `exports`
 * map, so these paths are public in the Node resolution sense; a new oidc-provider major must be
 * checked against them (the typecheck and the dev IdP tests fail if they move).
 *
 * Everything else in src/devidp imports oidc-provider with `import type` only (erased at build).
 */
export { Provider } from 'oidc-provider/lib/provider.js';
export { InvalidTarget } from 'oidc-provider/lib/helpers/errors.js';
