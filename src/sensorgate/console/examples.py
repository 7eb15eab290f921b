"""Ready-to-paste examples for a new secret, per kind: curl, and Python (standard library only) for the signed
request and the token flow. They follow docs/api.md; tests/console/test_browser.py runs each Python one against a
server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Example:
    title: str
    code: str


def examples(kind: str, base: str, secret: str, public_id: str | None) -> list[Example]:
    base = base.rstrip("/")
    if kind == "signing_key":
        return [Example("Python: a signed request (v1)", _signed(base, secret, public_id or ""))]
    if kind == "oauth_client":
        return [
            Example("curl: get an access token", _token_curl(base, secret, public_id or "")),
            Example("Python: the token flow", _token_python(base, secret, public_id or "")),
        ]
    return [
        Example("curl", f"curl -H 'X-API-Key: {secret}' {base}/v1/sensors"),
        Example(
            "Python",
            "import json, urllib.request\n\n"
            f'request = urllib.request.Request("{base}/v1/sensors", headers={{"X-API-Key": "{secret}"}})\n'
            "with urllib.request.urlopen(request) as response:\n"
            "    print(json.load(response))",
        ),
    ]


def _signed(base: str, secret: str, public_id: str) -> str:
    return f'''import hashlib, hmac, json, time, urllib.request

PUBLIC_ID = "{public_id}"
SECRET = "{secret}"


def signed_get(path):
    nonce = str(int(time.time() * 1000))
    canonical = json.dumps({{"httpMethod": "GET", "path": path, "nonce": nonce}}, separators=(",", ":"))
    signature = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha384).hexdigest()
    headers = {{"X-API-Key": PUBLIC_ID, "X-Nonce": nonce, "X-Signature": signature}}
    with urllib.request.urlopen(urllib.request.Request("{base}" + path, headers=headers)) as response:
        return json.load(response)


print(signed_get("/v1/sensors"))'''


def _token_curl(base: str, secret: str, client_id: str) -> str:
    return (
        f"curl -u '{client_id}:{secret}' -d grant_type=client_credentials {base}/v1/oauth/token\n"
        f"# then: curl -H 'Authorization: Bearer <access_token>' {base}/v1/sensors"
    )


def _token_python(base: str, secret: str, client_id: str) -> str:
    return f'''import base64, json, urllib.parse, urllib.request

CLIENT_ID = "{client_id}"
CLIENT_SECRET = "{secret}"

basic = base64.b64encode(f"{{CLIENT_ID}}:{{CLIENT_SECRET}}".encode()).decode()
form = urllib.parse.urlencode({{"grant_type": "client_credentials"}}).encode()
headers = {{"Authorization": f"Basic {{basic}}"}}
token_request = urllib.request.Request("{base}/v1/oauth/token", data=form, headers=headers)
with urllib.request.urlopen(token_request) as response:
    token = json.load(response)["access_token"]  # valid for an hour; ask again when it runs out

request = urllib.request.Request("{base}/v1/sensors", headers={{"Authorization": f"Bearer {{token}}"}})
with urllib.request.urlopen(request) as response:
    print(json.load(response))'''
