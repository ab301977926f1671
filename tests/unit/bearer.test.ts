import { describe, expect, test } from 'bun:test';
import { bearerToken, splitBearer } from '../../src/http/bearer.ts';
import { InvalidRequest } from '../../src/errors.ts';

describe('splitBearer', () => {
  test('the scheme is matched case-insensitively; the token is everything after the one space', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) expect(splitBearer(`${scheme} abc.def.ghi`)).toBe('abc.def.ghi');
  });

  test('other schemes, a missing space or a missing header are 400 invalid_request', () => {
    for (const header of [undefined, null, '', 'Basic dXNlcjpwYXNz', 'Bearerabc', 'Bearer', 'Bear abc', 'Bearer_abc', ' Bearer abc']) {
      expect(() => splitBearer(header)).toThrow(InvalidRequest);
    }
  });

  test('bearerToken also refuses characters outside the b64token alphabet', () => {
    expect(bearerToken('Bearer abc-._~+/==')).toBe('abc-._~+/==');
    expect(() => bearerToken('Bearer  abc')).toThrow('Malformed bearer token.');
    expect(() => bearerToken('Bearer a"b')).toThrow(InvalidRequest);
  });
});
