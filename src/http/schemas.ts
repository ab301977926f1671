import { t } from 'elysia';

/** RFC 6749 §5.2 / RFC 6750 §3 error body: what every 4xx/5xx carries. */
export const ErrorBody = t.Object(
  {
    error: t.String({ examples: ['invalid_token'] }),
    error_description: t.String({ examples: ['token expired'] }),
  },
  { description: 'RFC 6749/6750 error', additionalProperties: false },
);

/** Decoded token claims (JWT payload, or the active introspection response). */
export const Claims = t.Object(
  {
    iss: t.Optional(t.String()),
    sub: t.Optional(t.String()),
    aud: t.Optional(t.Union([t.String(), t.Array(t.String())])),
    exp: t.Optional(t.Number()),
    iat: t.Optional(t.Number()),
  },
  {
    additionalProperties: true,
    description: 'Claims of the validated token',
    examples: [{ iss: 'https://my-instance.zitadel.cloud', sub: '2792…', aud: ['2792…@app', '2791…'], exp: 1767225600, iat: 1767182400 }],
  },
);

export const BearerHeaders = t.Object({
  authorization: t.Optional(t.String({ description: 'Bearer <access token>' })),
});

/**
 * The bearer header as *required* in the route's type (Eden makes a call without it a type
 * error), while the runtime schema stays the optional one: the route answers a missing header
 * itself with 400 `invalid_request` and the RFC 6750 §3.1 challenge, which Elysia's own
 * validation would replace with a generic error.
 */
export const RequiredBearerHeaders = t.Unsafe<{ authorization: string }>(BearerHeaders);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
} as const;
