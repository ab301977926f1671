/**
 * The proxy's header rules: what the upstream gets from the browser (credentials swapped,
 * spoofed identity and forwarding headers gone, hop-by-hop dropped) and what the browser gets
 * back (the gateway's own cookies protected, every other Set-Cookie kept).
 */
import { describe, expect, test } from 'bun:test';
import { headerValue } from '../../src/http/validate/identity-headers.ts';
import { browserResponseHeaders, setCookieName, upstreamRequestHeaders, withoutHopByHop, type UpstreamRequestOptions } from '../../src/proxy/headers.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln';
const target = new URL('https://orders.internal:8443/api/items');
/** 山田太郎 as forward-auth sends it: UTF-8 bytes spelled as latin1. */
const YAMADA = headerValue('山田太郎')!;

function build(incoming: Record<string, string> | [string, string][], extra: Partial<UpstreamRequestOptions> = {}): Headers {
  return upstreamRequestHeaders(new Headers(incoming), {
    accessToken: TOKEN,
    identity: [
      ['x-auth-request-user', '312909075211944585'],
      ['x-auth-request-preferred-username', YAMADA],
      ['x-auth-request-roles', headerValue('管理者,viewer')!],
    ],
    target,
    clientAddress: '203.0.113.7',
    proto: 'https',
    ...extra,
  });
}

const isGatewayCookie = (n: string) => n === '__Host-zitauth_session' || n.startsWith('zitauth_login_');

describe('request: browser → upstream', () => {
  test('the browser Cookie and Authorization are replaced by the bearer token; Host is the upstream', () => {
    const h = build({ cookie: '__Host-zitauth_session=abc; other=1', authorization: 'Basic dXNlcjpwYXNz', host: 'gw.example', 'x-csrf': '1' });
    expect(h.get('cookie')).toBeNull();
    expect(h.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(h.get('host')).toBe('orders.internal:8443');
    expect(h.get('x-csrf')).toBeNull();
  });

  test('identity headers: client-sent ones of any case removed, the given ones set (UTF-8 bytes kept)', () => {
    const h = build([
      ['X-Auth-Request-User', 'admin'],
      ['x-auth-request-email', 'evil@example.com'],
      ['X-AUTH-REQUEST-ROLES', 'admin'],
      ['x-auth-request-groups', 'root'],
    ]);
    expect(h.get('x-auth-request-user')).toBe('312909075211944585');
    expect(h.get('x-auth-request-email')).toBeNull(); // not in this user's identity: gone, not the client's
    expect(h.get('x-auth-request-groups')).toBeNull();
    expect(h.get('x-auth-request-roles')).toBe(headerValue('管理者,viewer')!);
    expect(Buffer.from(h.get('x-auth-request-preferred-username')!, 'latin1').toString('utf8')).toBe('山田太郎');
  });

  test('reserved names (configured claim headers) are removed even without a value for this user', () => {
    const h = build({ 'x-user-department': 'finance', 'x-tenant': 'other' }, { reserved: ['X-User-Department'] });
    expect(h.get('x-user-department')).toBeNull();
    expect(h.get('x-tenant')).toBe('other');
  });

  test('hop-by-hop fields dropped, and every field Connection lists', () => {
    const h = build({
      connection: 'keep-alive, X-Hop-Secret ,x-other-hop,  ,Cookie',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic cHJveHk6cHc=',
      expect: '100-continue',
      'x-hop-secret': 's',
      'x-other-hop': 'o',
      'x-end-to-end': 'kept',
    });
    for (const n of ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'expect', 'x-hop-secret', 'x-other-hop']) {
      expect(h.get(n)).toBeNull();
    }
    expect(h.get('x-end-to-end')).toBe('kept');
  });

  test('Connection naming Authorization does not smuggle it through, nor drop the bearer token', () => {
    const h = build({ connection: 'authorization, host', authorization: 'Bearer browser-token' });
    expect(h.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(h.get('host')).toBe('orders.internal:8443');
  });

  test('Content-Length passes, except beside Transfer-Encoding (one framing only)', () => {
    expect(build({ 'content-length': '52428800' }).get('content-length')).toBe('52428800');
    expect(build({ 'content-length': '5', 'transfer-encoding': 'chunked' }).get('content-length')).toBeNull();
  });

  test('Accept-Encoding: the browser’s passes; none sent → identity (the body is relayed undecoded)', () => {
    expect(build({ 'accept-encoding': 'gzip, br' }).get('accept-encoding')).toBe('gzip, br');
    expect(build({}).get('accept-encoding')).toBe('identity');
  });

  test('end-to-end headers pass unchanged, hostile bytes included', () => {
    const latin1 = Buffer.from('josé@exämple.com "quoted" 😀', 'utf8').toString('latin1');
    const h = build({
      accept: 'application/json',
      'content-type': 'application/json; charset=utf-8',
      'if-none-match': 'W/"abc"',
      origin: 'https://spa.example',
      'x-note': latin1,
      'user-agent': `Mozilla/5.0 ${latin1}`,
    });
    expect(h.get('accept')).toBe('application/json');
    expect(h.get('content-type')).toBe('application/json; charset=utf-8');
    expect(h.get('if-none-match')).toBe('W/"abc"');
    expect(h.get('origin')).toBe('https://spa.example');
    expect(Buffer.from(h.get('x-note')!, 'latin1').toString('utf8')).toBe('josé@exämple.com "quoted" 😀');
  });
});

describe('request: forwarding headers', () => {
  test('default (untrusted): every client-sent forwarding header replaced by the gateway’s view', () => {
    const h = build({
      host: 'gw.example',
      forwarded: 'for=10.0.0.1;host=admin.internal;proto=http',
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'admin.internal',
      'x-forwarded-prefix': '/admin',
      'x-real-ip': '127.0.0.1',
      via: '1.0 corp-proxy',
    });
    expect(h.get('forwarded')).toBe('for=203.0.113.7;host=gw.example;proto=https');
    expect(h.get('x-forwarded-for')).toBe('203.0.113.7');
    expect(h.get('x-forwarded-proto')).toBe('https');
    expect(h.get('x-forwarded-host')).toBe('gw.example');
    expect(h.get('x-forwarded-prefix')).toBeNull();
    expect(h.get('x-real-ip')).toBeNull();
    expect(h.get('via')).toBe('1.0 corp-proxy, 1.1 zitauth');
  });

  test('trusted proxy in front: chains extended, its proto and host kept', () => {
    const h = build(
      { host: 'gw.internal:3000', forwarded: 'for=198.51.100.2;proto=https', 'x-forwarded-for': '198.51.100.2', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example', 'x-real-ip': '198.51.100.2' },
      { trustForwarded: true, clientAddress: '10.0.0.5', proto: 'http' },
    );
    expect(h.get('forwarded')).toBe('for=198.51.100.2;proto=https, for=10.0.0.5;host="gw.internal:3000";proto=http');
    expect(h.get('x-forwarded-for')).toBe('198.51.100.2, 10.0.0.5');
    expect(h.get('x-forwarded-proto')).toBe('https');
    expect(h.get('x-forwarded-host')).toBe('app.example');
    expect(h.get('x-real-ip')).toBe('198.51.100.2');
  });

  test('trusted but nothing sent: the gateway’s own values', () => {
    const h = build({ host: 'gw.example' }, { trustForwarded: true });
    expect(h.get('forwarded')).toBe('for=203.0.113.7;host=gw.example;proto=https');
    expect(h.get('x-forwarded-for')).toBe('203.0.113.7');
    expect(h.get('x-forwarded-proto')).toBe('https');
    expect(h.get('x-forwarded-host')).toBe('gw.example');
  });

  test('IPv6 peers are bracketed and quoted (RFC 7239 §6); an unknown peer is "unknown"', () => {
    expect(build({}, { clientAddress: '::ffff:127.0.0.1' }).get('forwarded')).toBe('for="[::ffff:127.0.0.1]";proto=https');
    expect(build({}, { clientAddress: '2001:db8::1' }).get('x-forwarded-for')).toBe('2001:db8::1');
    const unknown = build({ 'x-forwarded-for': '6.6.6.6' }, { clientAddress: undefined });
    expect(unknown.get('forwarded')).toBe('for=unknown;proto=https');
    expect(unknown.get('x-forwarded-for')).toBeNull();
  });

  test('a hostile Host or peer address is not repeated', () => {
    for (const host of ['gw.example"; for=evil', 'gw.example, for=1.2.3.4', Buffer.from('山田.example').toString('latin1'), 'a b', 'gw.example:99999x']) {
      const h = build({ host });
      expect(h.get('forwarded')).toBe('for=203.0.113.7;proto=https');
      expect(h.get('x-forwarded-host')).toBeNull();
    }
    const h = build({}, { clientAddress: '1.2.3.4;proto=http' });
    expect(h.get('forwarded')).toBe('for=unknown;proto=https');
  });
});

describe('response: upstream → browser', () => {
  function upstream(setCookies: string[], more: [string, string][] = []): Headers {
    const h = new Headers(more);
    for (const c of setCookies) h.append('set-cookie', c);
    return h;
  }

  test('multiple Set-Cookie kept one by one, the gateway’s own dropped in every spelling', () => {
    const keep = [
      'session=1; Path=/; HttpOnly',
      'cart=%E5%95%86%E5%93%81; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure',
      'pref="山"; Max-Age=60'.replace('山', Buffer.from('山').toString('latin1')),
      '__Host-zitauth_sessionX=1; Path=/',
      'x=__Host-zitauth_session',
      'zitauth_logi=1',
    ];
    const drop = [
      '__Host-zitauth_session=forged; Path=/; Secure; HttpOnly',
      '__Host-zitauth_session=; Max-Age=0; Path=/',
      ' __Host-zitauth_session =x',
      'zitauth_login_abc=state',
      '=__Host-zitauth_session=fixated',
      '__Host-zitauth_session',
      '= zitauth_login_1=x; Path=/',
    ];
    const out = browserResponseHeaders(upstream([...keep.slice(0, 3), ...drop, ...keep.slice(3)]), isGatewayCookie);
    expect(out.getSetCookie()).toEqual(keep);
  });

  test('hop-by-hop and Connection-listed fields dropped; Content-Length, Content-Encoding and others kept', () => {
    const out = browserResponseHeaders(
      upstream(
        ['a=1'],
        [
          ['connection', 'keep-alive, x-internal-hop'],
          ['keep-alive', 'timeout=5'],
          ['x-internal-hop', 'secret'],
          ['upgrade', 'h2c'],
          ['proxy-authenticate', 'Basic realm="upstream"'],
          ['content-length', '28'],
          ['content-encoding', 'gzip'],
          ['content-type', 'text/plain; charset=utf-8'],
          ['location', 'https://orders.internal/next?商=1'.replace('商', '%E5%95%86')],
          ['cache-control', 'no-store'],
          ['www-authenticate', 'Bearer error="invalid_token"'],
        ],
      ),
      isGatewayCookie,
    );
    for (const n of ['connection', 'keep-alive', 'x-internal-hop', 'upgrade', 'proxy-authenticate']) expect(out.get(n)).toBeNull();
    expect(out.get('content-length')).toBe('28');
    expect(out.get('content-encoding')).toBe('gzip');
    expect(out.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(out.get('location')).toBe('https://orders.internal/next?%E5%95%86=1');
    expect(out.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(out.getSetCookie()).toEqual(['a=1']);
  });

  test('Transfer-Encoding and a Content-Length beside it are both dropped', () => {
    const out = browserResponseHeaders(upstream([], [['transfer-encoding', 'chunked'], ['content-length', '10']]), isGatewayCookie);
    expect(out.get('transfer-encoding')).toBeNull();
    expect(out.get('content-length')).toBeNull();
  });

  test('Alt-Svc dropped; Clear-Site-Data dropped only when it would clear cookies', () => {
    const h = (v: string) => browserResponseHeaders(upstream([], [['alt-svc', 'h3=":443"'], ['clear-site-data', v]]), isGatewayCookie);
    expect(h('"cache"').get('alt-svc')).toBeNull();
    expect(h('"cache"').get('clear-site-data')).toBe('"cache"');
    expect(h('"cache", "cookies"').get('clear-site-data')).toBeNull();
    expect(h('"COOKIES"').get('clear-site-data')).toBeNull();
    expect(h('"*"').get('clear-site-data')).toBeNull();
  });

  test('the upstream headers object is not modified', () => {
    const u = upstream(['__Host-zitauth_session=x'], [['connection', 'close']]);
    browserResponseHeaders(u, isGatewayCookie);
    expect(u.getSetCookie()).toEqual(['__Host-zitauth_session=x']);
    expect(u.get('connection')).toBe('close');
  });
});

describe('setCookieName (RFC 6265bis §5.6)', () => {
  test.each([
    ['a=1', 'a'],
    ['a=1; Path=/', 'a'],
    ['  a  =1', 'a'],
    ['a=b=c', 'a'],
    ['a=', 'a'],
    ['=a=1', 'a'],
    ['=a', 'a'],
    ['a', 'a'],
    ['a; Path=/', 'a'],
    ['=', ''],
    ['', ''],
    ['; a=1', ''],
    ['__Host-x=1', '__Host-x'],
  ])('%p → %p', (line, name) => {
    expect(setCookieName(line)).toBe(name);
  });
});

test('withoutHopByHop: Connection may even name Set-Cookie', () => {
  const h = new Headers([['connection', 'set-cookie']]);
  h.append('set-cookie', 'a=1');
  expect(withoutHopByHop(h).getSetCookie()).toEqual([]);
});
