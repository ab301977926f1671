/**
 * The SPA's static files, imported `with { type: 'file' }` so `bun build --compile` embeds them in
 * the binary (each import is then a path inside the executable's virtual file system; under
 * `bun run` it is the real path). Plain files rather than an HTML import: we set our own security
 * headers and the page needs no bundling.
 */
import indexHtml from './index.html' with { type: 'file' };
import appJs from './app.js' with { type: 'file' };
import styleCss from './style.css' with { type: 'file' };
import faviconSvg from './favicon.svg' with { type: 'file' };

export interface SpaAsset {
  /** Path readable with Bun.file (embedded when compiled). */
  path: string;
  contentType: string;
}

/** The page itself. bun-types declares `*.html` as an HTML bundle; with type 'file' it is a path. */
export const INDEX: SpaAsset = { path: indexHtml as unknown as string, contentType: 'text/html; charset=utf-8' };

/**
 * Assets under /spa/, by file name. A Map, not an object: a request path is user input, and
 * `ASSETS['constructor']` on an object literal is a function (regression: /spa/constructor and
 * /spa/__proto__ answered 500).
 */
export const ASSETS: ReadonlyMap<string, SpaAsset> = new Map([
  ['app.js', { path: appJs, contentType: 'text/javascript; charset=utf-8' }],
  ['style.css', { path: styleCss, contentType: 'text/css; charset=utf-8' }],
  ['favicon.svg', { path: faviconSvg, contentType: 'image/svg+xml' }],
]);

/** The icon browsers ask for at /favicon.ico when a page names none (the page names favicon.svg). */
export const FAVICON: SpaAsset = ASSETS.get('favicon.svg')!;
