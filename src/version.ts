/**
 * The version baked into the binary: `bun build --define ZITAUTH_VERSION='"x.y.z"'` replaces
 * the global at compile time; from source it falls back to package.json's.
 */
import pkg from '../package.json' with { type: 'json' };

declare const ZITAUTH_VERSION: string | undefined;
export const VERSION: string = typeof ZITAUTH_VERSION === 'string' ? ZITAUTH_VERSION : pkg.version;
