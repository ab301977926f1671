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
  const fails = (req: Parameters<typeof checkRequirements>[1], c: Record<string, unknown> = claims): string => {
    try {
      checkRequirements(c, req);
    } catch (err) {
      expect(err).toBeInstanceOf(InsufficientScope);
      return (err as Error).message;
    }
    throw new Error('expected InsufficientScope');
  };

  test('roles: ANY of the listed suffices', () => {
    checkRequirements(claims, { roles: ['owner', 'editor'] });
    expect(fails({ roles: ['owner', 'billing'] })).toContain('owner, billing');
  });

  test('scopes: ALL listed are required; the message names the missing ones', () => {
    checkRequirements(claims, { scopes: ['openid', 'read:docs'] });
    const msg = fails({ scopes: ['openid', 'write:docs', 'admin'] });
    expect(msg).toContain('write:docs, admin');
    expect(msg).not.toContain('openid');
  });

  test('audiences: ANY listed', () => {
    checkRequirements(claims, { audiences: ['other', 'project-1'] });
    checkRequirements({ aud: 'solo' }, { audiences: ['solo'] });
    expect(fails({ audiences: ['other'] })).toContain('audiences other');
  });

  test('empty requirements impose nothing', () => {
    checkRequirements({}, {});
    checkRequirements({}, { roles: [], scopes: [], audiences: [] });
  });
});
