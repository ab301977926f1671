#!/usr/bin/env python3
"""Machine-to-machine demo with the Python standard library only (no pip install).

1. Make sure a ZitAuth gateway answers at ZITAUTH_URL (GET /healthz).
2. Ask it for a service-user access token (GET /api/v1/m2m-token).
3. Call a protected API with it (GET /api/protected, which asks the gateway to validate it).
4. Print what the API answered.

    ZITAUTH_URL=http://localhost:8000 python3 examples/python/m2m_sim.py   # the URL `zitauth dev` prints

Environment: ZITAUTH_URL (gateway, default http://localhost:8000), PROTECTED_API_URL (default:
ZITAUTH_URL, where `zitauth dev` serves the demo API), ZITAUTH_API_KEY (when the gateway sets
ZITAUTH_M2M_API_KEYS). The token itself is never printed.
"""
import json
import os
import sys
import urllib.error
import urllib.request

GATEWAY_URL = os.environ.get("ZITAUTH_URL", "http://localhost:8000").rstrip("/")
API_URL = os.environ.get("PROTECTED_API_URL", GATEWAY_URL).rstrip("/")
API_KEY = os.environ.get("ZITAUTH_API_KEY")
TIMEOUT_SEC = 10
HINT = '"zitauth dev" prints the gateway URL to use as ZITAUTH_URL (start it with "npx -y bun@1.4 run dev")'


def get_json(url, bearer=None):
    """GET url; returns (status, content type, parsed JSON body or None). HTTP errors are returned,
    not raised; no answer at all (refused, unknown host, timeout) raises OSError."""
    headers = {"Accept": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SEC) as response:
            return response.status, response.headers.get("Content-Type", ""), parse(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), parse(err.read())


def parse(raw):
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def reason(err):
    """Why a request got no answer, e.g. "Connection refused"."""
    cause = getattr(err, "reason", err)
    return getattr(cause, "strerror", None) or str(cause)


def main():
    # Is it a ZitAuth gateway? Anything else on that port would otherwise show up as a
    # puzzling failure of the token request.
    try:
        status, content_type, body = get_json(f"{GATEWAY_URL}/healthz")
    except OSError as err:
        print(f"[m2m] no gateway answers at {GATEWAY_URL} ({reason(err)}). {HINT}.", file=sys.stderr)
        return 1
    if status != 200 or not isinstance(body, dict) or body.get("status") != "ok":
        kind = f", {content_type}" if content_type else ""
        print(f"[m2m] {GATEWAY_URL} is not a ZitAuth gateway: /healthz answered HTTP {status}{kind}. {HINT}.", file=sys.stderr)
        return 1
    print(f"[m2m] ZitAuth {body.get('version')} at {GATEWAY_URL}; requesting a service-user token (/api/v1/m2m-token)")

    try:
        status, _, body = get_json(f"{GATEWAY_URL}/api/v1/m2m-token", API_KEY)
    except OSError as err:
        print(f"[m2m] the gateway at {GATEWAY_URL} stopped answering ({reason(err)}).", file=sys.stderr)
        return 1
    if status != 200 or not isinstance(body, dict) or "access_token" not in body:
        detail = body if isinstance(body, dict) else {}
        print(f"[m2m] token request failed: HTTP {status} {detail.get('error', '')} {detail.get('error_description', '')}".rstrip(), file=sys.stderr)
        return 1
    token = body["access_token"]
    print(f"[m2m] received a {body.get('token_type', 'Bearer')} token ({len(token)} characters, expires in {body.get('expires_in')} s)")

    print(f"[m2m] calling the protected API {API_URL}/api/protected")
    try:
        status, _, body = get_json(f"{API_URL}/api/protected", token)
    except OSError as err:
        print(f"[m2m] no protected API answers at {API_URL} ({reason(err)}); set PROTECTED_API_URL.", file=sys.stderr)
        return 1
    if status == 404 and API_URL == GATEWAY_URL:
        print(f'[m2m] the gateway at {GATEWAY_URL} serves no demo API (it does with ZITAUTH_SERVE_SPA=true, as in "zitauth dev"); set PROTECTED_API_URL to your API.', file=sys.stderr)
        return 1
    if status != 200:
        print(f"[m2m] protected API refused: HTTP {status} {json.dumps(body)}", file=sys.stderr)
        return 1
    print(f"[m2m] protected API answered HTTP {status}:")
    print(json.dumps(body, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
