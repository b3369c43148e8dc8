"""A small but standards-following OpenID Connect provider for the tests, served over real HTTP
on a free loopback port: discovery, JWKS, the authorisation endpoint (code flow, PKCE S256
required, state and nonce carried), the token endpoint (client_secret_basic or _post, code used
once, redirect_uri and code_verifier checked), RS256 ID tokens signed with joserfc, userinfo.

It signs in whoever the test names (`login_as`), or shows a login form (browser tests). Knobs in
`misbehave` make it send the ID tokens an attacker or a broken provider would.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey


def _b64url_sha256(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    claims: dict[str, Any]
    expires: float
    used: bool = False


@dataclass
class Provider:
    client_id: str = "talent-crm"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redirect_uris: set[str] = field(default_factory=set)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # username -> claims
    passwords: dict[str, str] = field(default_factory=dict)
    misbehave: dict[str, Any] = field(default_factory=dict)
    code_challenge_methods: list[str] = field(default_factory=lambda: ["S256"])
    # What the provider saw, for assertions.
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig"})
        self._grants: dict[str, Grant] = {}
        self._tokens: dict[str, dict[str, Any]] = {}
        self._auto_user: str | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- control ---------------------------------------------------------------------------

    def start(self) -> Provider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_user(self, username: str, password: str = "op-password", **claims: Any) -> None:
        self.users[username] = {"sub": secrets.token_hex(8), **claims}
        self.passwords[username] = password

    def login_as(self, username: str | None) -> None:
        """The user already signed in at the provider (it approves at once), or None."""
        self._auto_user = username

    # --- protocol --------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.misbehave.get("discovery_issuer", self.issuer),
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": self.misbehave.get(
                "advertised_algs", ["RS256"]
            ),
            "code_challenge_methods_supported": self.code_challenge_methods,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
            "grant_types_supported": ["authorization_code"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def _authorize(self, params: dict[str, str], username: str | None) -> tuple[int, str]:
        """(status, Location or error text) for an authorisation request."""
        self.authorize_requests.append(params)
        if params.get("client_id") != self.client_id:
            return 400, "unknown client_id"
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            return 400, f"redirect_uri not registered: {redirect_uri}"
        if params.get("response_type") != "code" or "openid" not in params.get("scope", ""):
            return 400, "only the openid code flow"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return 400, "PKCE with S256 is required"
        code = secrets.token_urlsafe(24)
        claims = dict(self.users[username])
        with self._lock:
            self._grants[code] = Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                code_challenge=params["code_challenge"],
                nonce=params.get("nonce"),
                claims=claims,
                expires=time.time() + 60,
            )
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        return 302, f"{redirect_uri}?{urlencode(query)}"

    def _client_authenticated(self, headers: Any, form: dict[str, str]) -> bool:
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return user == self.client_id and password == self.client_secret
        return (
            form.get("client_id") == self.client_id
            and form.get("client_secret") == self.client_secret
        )

    def _token(self, headers: Any, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        record: dict[str, Any] = {"form": {k: v for k, v in form.items() if k != "client_secret"}}
        self.token_requests.append(record)
        if not self._client_authenticated(headers, form):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is None or grant.used or grant.expires < time.time():
                return 400, {"error": "invalid_grant", "error_description": "unknown code"}
            grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        record["pkce_ok"] = bool(verifier) and _b64url_sha256(verifier) == grant.code_challenge
        if not record["pkce_ok"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(24)
        self._tokens[access_token] = grant.claims
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant, access_token),
        }

    def id_token(self, grant: Grant, access_token: str) -> str:
        bad = self.misbehave
        now = int(time.time())
        claims = {
            "iss": bad.get("iss", self.issuer),
            "sub": grant.claims["sub"],
            "aud": bad.get("aud", self.client_id),
            "iat": now,
            "exp": now + bad.get("exp_in", 300),
            "auth_time": now,
            "at_hash": base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()[:16])
            .rstrip(b"=")
            .decode(),
        }
        if grant.nonce is not None and not bad.get("drop_nonce"):
            claims["nonce"] = bad.get("nonce", grant.nonce)
        omit = set(bad.get("userinfo_only", ()))
        claims.update({k: v for k, v in grant.claims.items() if k != "sub" and k not in omit})
        alg = bad.get("alg", "RS256")
        if alg == "none":
            header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
            return f"{header.decode()}.{body.decode()}."
        if alg == "HS256":  # the classic confusion: the client secret as an HMAC key
            key = OctKey.import_key(self.client_secret)
            return jwt.encode({"alg": "HS256", "kid": "key-1"}, claims, key)
        key = self.other_key if bad.get("wrong_key") else self.key
        return jwt.encode({"alg": "RS256", "kid": "key-1", "typ": "JWT"}, claims, key)

    def userinfo(self, headers: Any) -> tuple[int, dict[str, Any]]:
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        claims = self._tokens.get(token)
        if claims is None:
            return 401, {"error": "invalid_token"}
        return 200, dict(claims)

    # --- HTTP ------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def _redirect_or_error(self, status: int, text: str) -> None:
                if status == 302:
                    self.send_response(302)
                    self.send_header("Location", text)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._send(status, text.encode(), "text/plain")

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                return {k: v[0] for k, v in parse_qs(raw).items()}

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif url.path == "/jwks":
                    self._send(200, provider.jwks())
                elif url.path == "/userinfo":
                    self._send(*provider.userinfo(self.headers))
                elif url.path == "/authorize":
                    if provider._auto_user:
                        self._redirect_or_error(*provider._authorize(params, provider._auto_user))
                    else:
                        self._send(200, self._login_form(params), "text/html; charset=utf-8")
                else:
                    self._send(404, {"error": "not_found"})

            def _login_form(self, params: dict[str, str]) -> bytes:
                hidden = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in params.items()
                )
                return (
                    "<!doctype html><title>Test IdP</title><h1>Test IdP sign-in</h1>"
                    '<form method="post" action="/authorize">'
                    f"{hidden}"
                    '<label>Username <input name="op_username"></label>'
                    '<label>Password <input name="op_password" type="password"></label>'
                    "<button>Continue</button></form>"
                ).encode()

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                form = self._form()
                if url.path == "/token":
                    self._send(*provider._token(self.headers, form))
                elif url.path == "/authorize":
                    username = form.pop("op_username", "")
                    password = form.pop("op_password", "")
                    if provider.passwords.get(username) != password:
                        self._send(200, self._login_form(form), "text/html; charset=utf-8")
                        return
                    self._redirect_or_error(*provider._authorize(form, username))
                else:
                    self._send(404, {"error": "not_found"})

        return Handler
