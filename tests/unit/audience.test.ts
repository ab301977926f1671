/**
 * The audience rule (src/tokens/audience.ts). Regression for issue 11 item 1: with an original
 * .env (no project id), current Zitadel mints the service user's token with aud = [username]
 * (not [userId]); the "own service user" rule missed it and M2M → /validate failed.
 */
import { describe, expect, test } from 'bun:test';
import { acceptsAudience, audienceRule } from '../../src/tokens/audience.ts';

const USER_ID = '300000000000000004';
const USERNAME = 'zitauth-m2m-機械';
const CLIENT = '2792@zitauth';
const original = audienceRule({ audience: [CLIENT], audienceDefaulted: true, projectId: undefined }, USER_ID);

describe('original .env (no project, no ZITAUTH_AUDIENCE)', () => {
  test('user tokens for the client id are accepted', () => {
    expect(acceptsAudience(original, [CLIENT, 'other'], { sub: 'u1' })).toBe(true);
  });

  test('regression: own service user on current Zitadel (aud = [username], client_id = username) is accepted', () => {
    expect(acceptsAudience(original, [USERNAME], { sub: USER_ID, client_id: USERNAME })).toBe(true);
  });

  test('own service user on Zitadel before v2.65 (aud = [userId], client_id = userId) is accepted', () => {
    expect(acceptsAudience(original, [USER_ID], { sub: USER_ID, client_id: USER_ID })).toBe(true);
  });

  test('foreign tokens are refused: another sub, or our sub for a foreign audience', () => {
    expect(acceptsAudience(original, [USERNAME], { sub: 'someone-else', client_id: USERNAME })).toBe(false);
    expect(acceptsAudience(original, ['other-project'], { sub: USER_ID, client_id: USERNAME })).toBe(false);
    expect(acceptsAudience(original, [], { sub: USER_ID })).toBe(false);
    expect(acceptsAudience(original, ['x'], { sub: USER_ID, client_id: ['x'] })).toBe(false);
  });
});

describe('pinned audience', () => {
  test('a project id pins it: the service-user exception does not apply', () => {
    const rule = audienceRule({ audience: ['3000'], audienceDefaulted: true, projectId: '3000' }, USER_ID);
    expect(rule.ownServiceUserId).toBeUndefined();
    expect(acceptsAudience(rule, ['3000'], { sub: USER_ID })).toBe(true);
    expect(acceptsAudience(rule, [USERNAME], { sub: USER_ID, client_id: USERNAME })).toBe(false);
  });

  test('ZITAUTH_AUDIENCE pins it too', () => {
    const rule = audienceRule({ audience: ['a', 'ü'], audienceDefaulted: false, projectId: undefined }, USER_ID);
    expect(acceptsAudience(rule, ['ü'], { sub: 'x' })).toBe(true);
    expect(acceptsAudience(rule, [USER_ID], { sub: USER_ID, client_id: USER_ID })).toBe(false);
  });

  test('no key file: only the client id', () => {
    const rule = audienceRule({ audience: [CLIENT], audienceDefaulted: true, projectId: undefined }, undefined);
    expect(acceptsAudience(rule, [USER_ID], { sub: USER_ID, client_id: USER_ID })).toBe(false);
  });
});
