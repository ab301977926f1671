/** The version: package.json's, bundled into the binary at compile time. */
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
