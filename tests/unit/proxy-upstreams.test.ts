/** parseUpstreams: the proxy's allow-list — what is accepted, how it is normalised, what is refused and how it is reported. */
import { describe, expect, test } from 'bun:test';
import { parseUpstreams } from '../../src/proxy/upstreams.ts';

const one = (value: string) => {
  const r = parseUpstreams(value);
  return { ...r, bases: Object.fromEntries([...r.upstreams].map(([k, u]) => [k, u.base.href])) };
};

describe('accepted', () => {
  test('the issue example, base paths kept with a trailing slash', () => {
    const r = one('orders=http://orders:8080,billing=https://billing.internal/api');
    expect(r.problems).toEqual([]);
    expect(r.bases).toEqual({ orders: 'http://orders:8080/', billing: 'https://billing.internal/api/' });
    expect(r.upstreams.get('billing')?.name).toBe('billing');
    expect(r.upstreams.get('billing')?.base.pathname).toBe('/api/');
  });

  test('commas and any whitespace separate entries; blanks ignored; empty value is an empty list', () => {
    const r = one(' a=http://a.test ,\n b_2=https://b.test/x/ \t c-3=http://[::1]:9000/v1 ,, ');
    expect(r.problems).toEqual([]);
    expect(r.bases).toEqual({ a: 'http://a.test/', b_2: 'https://b.test/x/', 'c-3': 'http://[::1]:9000/v1/' });
    expect(one('')).toMatchObject({ problems: [], bases: {} });
    expect(one(' , ')).toMatchObject({ problems: [], bases: {} });
  });

  test('names: 1 to 63 characters of a-z 0-9 _ -, starting with a letter or digit', () => {
    const long = `a${'b'.repeat(62)}`;
    const r = one(`0=http://x.test,${long}=http://y.test,a_-9=http://z.test`);
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.bases).sort()).toEqual(['0', long, 'a_-9'].sort());
  });

  test('a base path keeps its percent-encoding; an "=" after the first belongs to the URL', () => {
    const r = one('shop=https://shop.test/%E5%95%86%E5%93%81/a=b');
    expect(r.problems).toEqual([]);
    expect(r.bases.shop).toBe('https://shop.test/%E5%95%86%E5%93%81/a=b/');
  });

  test('the entries are frozen', () => {
    const u = one('a=http://a.test').upstreams.get('a')!;
    expect(Object.isFrozen(u)).toBe(true);
  });
});

describe('refused, each problem naming ZITAUTH_UPSTREAMS', () => {
  const cases: [string, string, RegExp][] = [
    ['upper-case name', 'Orders=http://o.test', /lower-case; write "orders"/],
    ['leading dash', '-orders=http://o.test', /"-orders": a name is/],
    ['leading underscore', '__proto__=http://o.test', /"__proto__": a name is/],
    ['dot in name', 'orders.v1=http://o.test', /"orders.v1": a name is/],
    ['64 characters', `${'a'.repeat(64)}=http://o.test`, /: a name is 1-63 /],
    ['non-ASCII name', '山田=http://o.test', /entry 1: a name is/],
    ['no "="', 'http://o.test', /entry 1 must look like name=/],
    ['empty name', '=http://o.test', /entry 1 must look like name=/],
    ['ftp', 'f=ftp://o.test/', /"f" must be an absolute http\(s\) URL/],
    ['file', 'f=file:///etc/passwd', /"f" must be an absolute http\(s\) URL/],
    ['javascript', 'j=javascript:alert(1)', /"j" must be an absolute http\(s\) URL/],
    ['relative', 'r=/api', /"r" must be an absolute http\(s\) URL/],
    ['no scheme', 'r=orders:8080', /"r" must be an absolute http\(s\) URL/],
    ['empty URL', 'e=', /"e" must be an absolute http\(s\) URL/],
    ['query', 'q=http://o.test/api?x=1', /"q" must not have a query or fragment/],
    ['bare "?"', 'q=http://o.test/api?', /"q" must not have a query or fragment/],
    ['fragment', 'q=http://o.test/#x', /"q" must not have a query or fragment/],
    ['user:password', 'c=https://admin:s3cr3t@o.test/', /"c" must not carry credentials/],
    ['empty userinfo', 'c=https://@o.test/', /"c" must not carry credentials/],
    ['backslash authority', 'c=https:\\\\tok@o.test/', /"c" must not carry credentials/],
  ];
  test.each(cases)('%s', (_, value, message) => {
    const r = one(value);
    expect(r.bases).toEqual({});
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toStartWith('ZITAUTH_UPSTREAMS: ');
    expect(r.problems[0]).toMatch(message);
  });

  test('a duplicate name is refused; the first entry stands', () => {
    const r = one('a=http://first.test,a=http://second.test');
    expect(r.problems).toEqual(['ZITAUTH_UPSTREAMS: "a" is listed twice']);
    expect(r.bases).toEqual({ a: 'http://first.test/' });
  });

  test('every problem is reported at once, good entries are kept', () => {
    const r = one('ok=http://ok.test,Bad=http://b.test,x=ftp://x,ok=http://again.test,y=http://y.test/?');
    expect(r.problems).toHaveLength(4);
    expect(r.bases).toEqual({ ok: 'http://ok.test/' });
  });

  test('no URL and no credential is ever echoed, nor a name that is not name-shaped', () => {
    const secrets = ['s3cr3t', 'p%40ss', 'tok3n', 'internal.example', '山田', '<script>', 'josé'];
    const r = one(
      [
        'c=https://admin:s3cr3t@internal.example/',
        'd=http://u:p%40ss@internal.example/',
        'https://tok3n@internal.example/api',
        'http://admin:s3cr3t@internal.example/x=y',
        '山田=http://internal.example',
        '<script>=http://internal.example',
        'josé=http://internal.example/?q',
        'q=http://internal.example/?token=tok3n',
        'f=gopher://admin:s3cr3t@internal.example',
        'n=not a url s3cr3t',
      ].join(','),
    );
    expect(r.problems.length).toBeGreaterThanOrEqual(10);
    for (const p of r.problems) {
      expect(p).toStartWith('ZITAUTH_UPSTREAMS: ');
      for (const s of secrets) expect(p).not.toContain(s);
    }
  });
});
