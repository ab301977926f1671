/**
 * Types for the two oidc-provider modules the dev IdP imports by path (see oidc-provider.ts):
 * they are the same classes the package index re-exports, so the package's own types apply.
 */
declare module 'oidc-provider/lib/provider.js' {
  export { default as Provider } from 'oidc-provider';
}

declare module 'oidc-provider/lib/helpers/errors.js' {
  import type { errors } from 'oidc-provider';
  export const InvalidTarget: typeof errors.InvalidTarget;
}
