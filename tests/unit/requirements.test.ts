import { describe, expect, test } from 'bun:test';
import { InsufficientScope } from '../../src/errors.ts';
import { checkRequirements, flattenRoles, scopesOf } from '../../src/tokens/requirements.ts';

const claims = {
  sub: 'u1',
  aud: ['client-1', 'project-1'],
  scope: 'openid profile  read:docs',
  'urn:zitadel:iam:org:project:roles': { admin: { 'org-1': 'acme.test' }, viewer: { 'org-1': 'acme.test', 'org-2': 'b.test' } },
  'urn:zitadel:iam:org:project:123456:roles': { viewer: { 'org-1': 'acme.test' }, editor: { 'org-2': 'b.test' } },
  'urn:zitadel:iam:org:project:999:roles': ['not-a-map'],
  'urn:zitadel:iam:user:resourceowner:id': 'org-1',
};

describe('flattenRoles', () => {
  test('collects role keys from the generic and per-project maps, deduplicated', () => {
    expect(flattenRoles(claims).sort()).toEqual(['admin', 'editor', 'viewer']);
  });
  test('no role claims → empty', () => {
    expect(flattenRoles({ sub: 'x' })).toEqual([]);
  });
});

describe('scopesOf', () => {
  test('space-separated scope, scp array, absent', () => {
    expect(scopesOf(claims)).toEqual(['openid', 'profile', 'read:docs']);
    expect(scopesOf({ scp: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(scopesOf({})).toEqual([]);
  });
});

describe('checkRequirements', () => {
  /** The unmet kinds (data), asserting the description never echoes a requested value. */
  const fails = (req: Parameters<typeof checkRequirements>[1], c: Record<string, unknown> = claims): readonly string[] => {
    try {
      checkRequirements(c, req);
    } catch (err) {
      expect(err).toBeInstanceOf(InsufficientScope);
      const e = err as InsufficientScope;
      for (const v of [...(req.roles ?? []), ...(req.scopes ?? []), ...(req.audiences ?? [])]) expect(e.message).not.toContain(v);
      return e.unmet;
    }
    throw new Error('expected InsufficientScope');
  };

  test('roles: ANY of the listed suffices', () => {
    checkRequirements(claims, { roles: ['owner', 'editor'] });
    expect(fails({ roles: ['owner', 'billing'] })).toEqual(['role']);
  });

  test('scopes: ALL listed are required', () => {
    checkRequirements(claims, { scopes: ['openid', 'read:docs'] });
    expect(fails({ scopes: ['openid', 'write:docs', 'admin'] })).toEqual(['scope']);
  });

  test('audiences: ANY listed', () => {
    checkRequirements(claims, { audiences: ['other', 'project-1'] });
    checkRequirements({ aud: 'solo' }, { audiences: ['solo'] });
    expect(fails({ audiences: ['other'] })).toEqual(['audience']);
  });

  test('several unmet kinds are all named', () => {
    expect(fails({ roles: ['nope'], audiences: ['other'] })).toEqual(['role', 'audience']);
  });

  test('regression: requested values (unicode, emoji, CR/LF, quotes) never reach the description', () => {
    const hostile = ['管理者', '🦄', 'a\r\nSet-Cookie: x=1', 'say "hi"\\', '<script>'];
    expect(fails({ roles: hostile, scopes: hostile, audiences: hostile })).toEqual(['role', 'scope', 'audience']);
    const unicodeRole = { 'urn:zitadel:iam:org:project:roles': { 管理者: { o: 'd' } } };
    checkRequirements(unicodeRole, { roles: ['管理者'] });
  });

  test('empty requirements impose nothing', () => {
    checkRequirements({}, {});
    checkRequirements({}, { roles: [], scopes: [], audiences: [] });
  });
});
