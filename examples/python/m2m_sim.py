#!/usr/bin/env python3
"""Machine-to-machine demo with the Python standard library only (no pip install).

1. Ask the ZitAuth gateway for a service-user access token (GET /api/v1/m2m-token).
2. Call a protected API with it (GET /api/protected, which asks the gateway to validate it).
3. Print what the API answered.

    python3 examples/python/m2m_sim.py        # against `zitauth dev` (http://localhost:8000)

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


def get_json(url, bearer=None):
    """GET url and return (status, parsed JSON body or None); HTTP errors are returned, not raised."""
    headers = {"Accept": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SEC) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read() or b"null")
        except ValueError:
            return err.code, None


def main():
    print(f"[m2m] requesting a service-user token from {GATEWAY_URL}/api/v1/m2m-token")
    try:
        status, body = get_json(f"{GATEWAY_URL}/api/v1/m2m-token", API_KEY)
    except urllib.error.URLError as err:
        print(f"[m2m] gateway not reachable: {err.reason} (is it running? try \"bun run dev\")", file=sys.stderr)
        return 1
    if status != 200 or not isinstance(body, dict) or "access_token" not in body:
        detail = body if isinstance(body, dict) else {}
        print(f"[m2m] token request failed: HTTP {status} {detail.get('error', '')} {detail.get('error_description', '')}".rstrip(), file=sys.stderr)
        return 1
    token = body["access_token"]
    print(f"[m2m] received a {body.get('token_type', 'Bearer')} token ({len(token)} characters, expires in {body.get('expires_in')} s)")

    print(f"[m2m] calling the protected API {API_URL}/api/protected")
    try:
        status, body = get_json(f"{API_URL}/api/protected", token)
    except urllib.error.URLError as err:
        print(f"[m2m] protected API not reachable: {err.reason}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"[m2m] protected API refused: HTTP {status} {json.dumps(body)}", file=sys.stderr)
        return 1
    print(f"[m2m] protected API answered HTTP {status}:")
    print(json.dumps(body, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
