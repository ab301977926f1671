/**
 * targetUrl: a proxied path stays below the upstream's base path, whatever spelling of `..` or
 * `/` it tries, while ordinary paths and queries pass byte for byte. proxyPathParts: the raw
 * pieces from request.url.
 */
import { describe, expect, test } from 'bun:test';
import { proxyPathParts, targetUrl } from '../../src/proxy/target.ts';
import { parseUpstreams, type Upstream } from '../../src/proxy/upstreams.ts';

const { upstreams } = parseUpstreams('api=https://billing.internal/api,root=http://127.0.0.1:8080');
const api = upstreams.get('api') as Upstream;
const root = upstreams.get('root') as Upstream;

describe('kept byte for byte', () => {
  const cases: [string, string, string, string][] = [
    // [rest, search, expected href on api, note]
    ['invoices/1', '', 'https://billing.internal/api/invoices/1', 'plain'],
    ['', '', 'https://billing.internal/api/', 'the base itself'],
    ['a/b/', '', 'https://billing.internal/api/a/b/', 'trailing slash kept'],
    ['a//b', '', 'https://billing.internal/api/a//b', 'empty segment kept'],
    ['%E5%95%86%E5%93%81/%E2%82%AC', '', 'https://billing.internal/api/%E5%95%86%E5%93%81/%E2%82%AC', 'encoded unicode untouched'],
    ['%e5%95%86', '', 'https://billing.internal/api/%e5%95%86', 'lower-case hex untouched'],
    ['商品/%E2%82%AC', '', 'https://billing.internal/api/%E5%95%86%E5%93%81/%E2%82%AC', 'raw unicode encoded as UTF-8'],
    ['山田太郎/😀', '', 'https://billing.internal/api/%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E/%F0%9F%98%80', 'CJK and emoji'],
    ['a%20b/c d', '', 'https://billing.internal/api/a%20b/c%20d', 'spaces, encoded and raw'],
    ['100%25', '', 'https://billing.internal/api/100%25', 'an encoded percent'],
    ['a%2Bb+c', '', 'https://billing.internal/api/a%2Bb+c', '%2B and + stay distinct'],
    ["x;v=1,y=2!$&'()*:@", '', "https://billing.internal/api/x;v=1,y=2!$&'()*:@", 'sub-delims, : and @'],
    ['a%3Bb', '', 'https://billing.internal/api/a%3Bb', 'encoded ;'],
    ['a|b[c]', '', 'https://billing.internal/api/a|b[c]', 'characters the URL parser leaves'],
    ['a"b<c>d^e`f{g}', '', 'https://billing.internal/api/a%22b%3Cc%3Ed%5Ee%60f%7Bg%7D', 'characters the URL parser encodes'],
    ['.well-known/x', '', 'https://billing.internal/api/.well-known/x', 'dot-leading names'],
    ['a.b/..c/c..', '', 'https://billing.internal/api/a.b/..c/c..', 'dots inside names'],
    ['http://evil.example/x', '', 'https://billing.internal/api/http://evil.example/x', 'an absolute URL stays a path'],
    ['/evil.example/x', '', 'https://billing.internal/api//evil.example/x', 'a scheme-relative URL stays a path'],
    ['@evil.example', '', 'https://billing.internal/api/@evil.example', 'userinfo-like segment'],
    ['x', '?q=%E2%82%AC&n=%E5%B1%B1%E7%94%B0', 'https://billing.internal/api/x?q=%E2%82%AC&n=%E5%B1%B1%E7%94%B0', 'query untouched'],
    ['x', '?a=1&a=2&b&=c&%zz=%', 'https://billing.internal/api/x?a=1&a=2&b&=c&%zz=%', 'odd queries untouched'],
    ['x', '?a=%2F..%2F&b=../..', 'https://billing.internal/api/x?a=%2F..%2F&b=../..', 'dots and slashes in the query are data'],
    ['x', '?', 'https://billing.internal/api/x?', 'a lone ? kept'],
    ['x', '?a+b=c%2Bd', 'https://billing.internal/api/x?a+b=c%2Bd', '+ and %2B in the query stay distinct'],
    ['x', "?q=it's 山", 'https://billing.internal/api/x?q=it%27s%20%E5%B1%B1', 'raw query characters encoded as the parser would'],
  ];
  test.each(cases)('%p %p → %p (%s)', (rest, search, href) => {
    const u = targetUrl(api, rest, search);
    expect(u?.href).toBe(href);
    expect(u?.origin).toBe('https://billing.internal');
  });

  test('root base: the path is the rest', () => {
    expect(targetUrl(root, 'a/b', '?x=1')?.href).toBe('http://127.0.0.1:8080/a/b?x=1');
    expect(targetUrl(root, '', '')?.href).toBe('http://127.0.0.1:8080/');
    // `//host` right after the origin is still the path, not an authority.
    const u = targetUrl(root, '/evil.example/x', '');
    expect(u?.host).toBe('127.0.0.1:8080');
    expect(u?.pathname).toBe('//evil.example/x');
  });

  test('the base URL object is never modified', () => {
    const before = api.base.href;
    targetUrl(api, 'x/y', '?z');
    targetUrl(api, '..', '');
    expect(api.base.href).toBe(before);
  });
});

describe('refused: anything that could leave the base path', () => {
  const traversal: [string, string][] = [
    ['..', 'raw ..'],
    ['.', 'raw .'],
    ['a/../../admin', '.. inside'],
    ['a/./b', '. inside'],
    ['../', 'leading ../'],
    ['%2e%2e', 'encoded'],
    ['%2E%2E', 'encoded, upper case'],
    ['%2e.', 'mixed'],
    ['.%2E', 'mixed'],
    ['%2e', 'single encoded dot'],
    ['a/%2e%2e/%2e%2e/admin', 'encoded inside'],
    ['..;', 'Tomcat path parameter'],
    ['..;jsessionid=x/admin', 'Tomcat path parameter with value'],
    ['%2e%2e;x', 'encoded, with parameter'],
    ['..%3Bx', 'encoded ; after ..'],
    ['...', 'dots only'],
    ['.. ', 'dots and a space (Windows strips it)'],
    ['..%20', 'dots and an encoded space'],
    ['．．', 'fullwidth dots (NFKC)'],
    ['%EF%BC%8E%EF%BC%8E', 'encoded fullwidth dots'],
    ['‥', 'two-dot leader (NFKC ..)'],
    ['%C0%AE%C0%AE', 'overlong UTF-8 dots'],
    ['%E0%80%AE%E0%80%AE', 'three-byte overlong dots'],
    ['%252e%252e', 'double-encoded dots'],
    ['%25252e%25252e', 'triple-encoded dots'],
    ['%2525252e%2525252e', 'deeper than anyone decodes'],
    ['a%2fb', 'encoded slash'],
    ['a%2F..%2F..%2Fadmin', 'encoded slashes with dots'],
    ['..%2f', 'dots and encoded slash'],
    ['a%5cb', 'encoded backslash'],
    ['..%5C..%5Cadmin', 'encoded backslashes with dots'],
    ['a\\b', 'raw backslash'],
    ['..\\admin', 'raw backslash with dots'],
    ['a%252Fb', 'double-encoded slash'],
    ['a%C0%AFb', 'overlong slash'],
    ['a%C1%9Cb', 'overlong backslash'],
    ['a／b', 'fullwidth solidus'],
    ['a＼b', 'fullwidth reverse solidus'],
    ['a%EF%BC%8Fb', 'encoded fullwidth solidus'],
    ['a%00b', 'encoded NUL'],
    ['a\u0000b', 'raw NUL'],
    ['a%2500b', 'double-encoded NUL'],
    ['a%0d%0aSet-Cookie:x', 'encoded CR/LF'],
    ['a\r\nb', 'raw CR/LF'],
    ['a\tb', 'raw tab'],
    ['a%7f', 'encoded DEL'],
    ['a%zzb', 'malformed escape'],
    ['a%2', 'truncated escape'],
    ['a%', 'bare percent'],
    ['a?b', 'a ? in the path part'],
    ['a#b', 'a # in the path part'],
  ];
  test.each(traversal)('%p (%s)', (rest) => {
    expect(targetUrl(api, rest, '')).toBeUndefined();
    expect(targetUrl(root, rest, '')).toBeUndefined();
  });

  const queries: [string, string][] = [
    ['x=1', 'no leading ?'],
    ['?a=1#frag', 'a fragment'],
    ['?a=\r\nb', 'CR/LF'],
    ['?a=\u0000', 'NUL'],
  ];
  test.each(queries)('query %p (%s)', (search) => {
    expect(targetUrl(api, 'x', search)).toBeUndefined();
  });
});

describe('proxyPathParts', () => {
  const P = '/api/v1/proxy/';
  test.each([
    ['https://gw.test/api/v1/proxy/orders/a/b?x=1', { name: 'orders', rest: 'a/b', search: '?x=1' }],
    ['https://gw.test/api/v1/proxy/orders', { name: 'orders', rest: '', search: '' }],
    ['https://gw.test/api/v1/proxy/orders/', { name: 'orders', rest: '', search: '' }],
    ['https://gw.test/api/v1/proxy/orders?x', { name: 'orders', rest: '', search: '?x' }],
    ['https://gw.test/api/v1/proxy/orders/a?', { name: 'orders', rest: 'a', search: '?' }],
    ['https://gw.test/api/v1/proxy/orders/a?b?c=/d#frag', { name: 'orders', rest: 'a', search: '?b?c=/d' }],
    ['https://gw.test/api/v1/proxy/orders/a#f?x', { name: 'orders', rest: 'a', search: '' }],
    ['http://127.0.0.1:9/api/v1/proxy/orders/%E5%95%86%2Fx//y/', { name: 'orders', rest: '%E5%95%86%2Fx//y/', search: '' }],
    ['http://[::1]:9/api/v1/proxy/%6Frders/a', { name: '%6Frders', rest: 'a', search: '' }],
  ])('%p', (url, parts) => {
    expect(proxyPathParts(url, P)).toEqual(parts);
  });

  test.each(['https://gw.test/api/v1/proxy/', 'https://gw.test/api/v1/proxy//a', 'https://gw.test/api/v1/proxyx/a', 'https://gw.test/api/v1/validate', 'https://gw.test', 'not a url'])(
    'no proxy path: %p',
    (url) => {
      expect(proxyPathParts(url, P)).toBeUndefined();
    },
  );

  test('a query containing the prefix does not count', () => {
    expect(proxyPathParts('https://gw.test/other?next=/api/v1/proxy/orders/x', P)).toBeUndefined();
  });

  test('round trip through targetUrl: what request.url carries arrives at the upstream unchanged', () => {
    const incoming = new Request('http://gw.test/api/v1/proxy/api/商品/%E2%82%AC/a%20b?q=山田太郎&e=josé@exämple.com&r=管理者');
    const parts = proxyPathParts(incoming.url, P)!;
    const u = targetUrl(api, parts.rest, parts.search)!;
    expect(u.href).toBe(`https://billing.internal/api/${incoming.url.slice('http://gw.test/api/v1/proxy/api/'.length)}`);
    expect(decodeURIComponent(u.pathname)).toBe('/api/商品/€/a b');
    expect(u.searchParams.get('q')).toBe('山田太郎');
    expect(u.searchParams.get('e')).toBe('josé@exämple.com');
    expect(u.searchParams.get('r')).toBe('管理者');
  });
});
