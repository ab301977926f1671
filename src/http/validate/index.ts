/** The token check and its two routes; see each file for its one job. */
export { createTokenCheck, type TokenCheck, type Validator } from './check.ts';
export { createAnswers, type Answers } from './answers.ts';
export { validateRoutes } from './routes.ts';
export { nativeTokenRoutes, VALIDATE_PATH, FORWARD_AUTH_PATH } from './native.ts';
export { loginRedirect, originalUrl, type BrowserLogin } from './browser-login.ts';
export { identityHeaders, headerValue } from './identity-headers.ts';
export { requirementsFromUrl, RequirementsQuery, ForwardAuthQuery, MAX_REQUIREMENT_LENGTH, type Requirements } from './query.ts';
