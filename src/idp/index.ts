export { IdpClient, mapIdpError, type IdpMetadata, type TokenSet, type IntrospectionAuth, type IdpClientOptions } from './client.ts';
export { createTimedFetch, networkError, type IdpCallObserver, type IdpEndpoint } from './http.ts';
export { generatePkce, randomToken } from './pkce.ts';
