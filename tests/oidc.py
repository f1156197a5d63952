"""A local OpenID Connect issuer for the tests: its discovery document and JWKS served over HTTP on a
free loopback port, its keys made with cryptography and its tokens signed with PyJWT, plus the
forged tokens an attacker would try; and the authorization-code flow with PKCE (S256) of a public
client such as the web console, which signs every visitor in as `login_subject` at once."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CLIENT_ID = "flyte-api"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any
    declare_alg: bool = True  # whether the JWK states its `alg` (it is optional)

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.alg)
        public = json.loads(algorithm.to_jwk(self.private.public_key()))
        public.update({"kid": self.kid, "use": "sig"})
        if self.declare_alg:
            public["alg"] = self.alg
        return public

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def rsa_key(kid: str, alg: str = "RS256", declare_alg: bool = True) -> SigningKey:
    return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048), declare_alg)


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class OidcProvider:
    """Start with `start()`; `issuer` is `http://127.0.0.1:<port>`."""

    keys: list[SigningKey] = field(default_factory=lambda: [rsa_key("rsa-1"), ec_key("ec-1")])
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    jwks_requests: int = 0
    discovery_requests: int = 0
    issuer: str = ""
    # Misbehaviours: answer a path with a redirect to this URL, or pad the JWKS to this many bytes.
    redirects: dict[str, str] = field(default_factory=dict)
    jwks_padding_bytes: int = 0
    padded_jwks_without_length: bool = False  # sent without Content-Length, as a chunked or closing answer may be
    # The authorization-code flow: who /authorize signs in, the codes it gave (code -> its request), and
    # every /token exchange asked for (form fields) with its answer's status.
    login_subject: str = "user-1"
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    exchanges: list[tuple[dict[str, str], int]] = field(default_factory=list)

    def start(self) -> OidcProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path in provider.redirects:
                    self.send_response(302)
                    self.send_header("Location", provider.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/authorize?"):
                    self._authorize(dict(parse_qsl(urlsplit(self.path).query)))
                    return
                if self.path == "/.well-known/openid-configuration":
                    provider.discovery_requests += 1
                    body = {
                        "issuer": provider.issuer,
                        "jwks_uri": f"{provider.issuer}/keys",
                        "authorization_endpoint": f"{provider.issuer}/authorize",
                        "token_endpoint": f"{provider.issuer}/token",
                        "id_token_signing_alg_values_supported": list(provider.algorithms),
                        "response_types_supported": ["code", "id_token"],
                        "code_challenge_methods_supported": ["S256"],
                        "subject_types_supported": ["public"],
                    }
                elif self.path == "/keys":
                    provider.jwks_requests += 1
                    body = {"keys": [key.jwk() for key in provider.keys]}
                    if provider.jwks_padding_bytes:
                        body["padding"] = "x" * provider.jwks_padding_bytes
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", "*")  # a browser page reads it (CORS)
                if provider.padded_jwks_without_length and "padding" in body:
                    self.close_connection = True  # the body ends when the connection does
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a client that stopped reading

            def _authorize(self, query: dict[str, str]) -> None:
                """Signs the visitor in at once and sends them back to the client with a code."""
                code = secrets.token_urlsafe(16)
                provider.codes[code] = query
                answer = {"code": code, "state": query.get("state", "")}
                self.send_response(302)
                self.send_header("Location", f"{query.get('redirect_uri', '')}?{urlencode(answer)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                """The token endpoint: a code for an ID token, once, with the verifier of its challenge."""
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                asked = provider.codes.pop(form.get("code", ""), None) if self.path == "/token" else None
                verifier = form.get("code_verifier", "")
                challenge = _b64(hashlib.sha256(verifier.encode()).digest())
                if asked is None:
                    status, body = 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
                elif asked.get("code_challenge_method") != "S256" or asked.get("code_challenge") != challenge:
                    status, body = 400, {"error": "invalid_grant", "error_description": "code_verifier does not match"}
                elif form.get("client_id") != asked.get("client_id") or form.get("redirect_uri") != asked.get("redirect_uri"):
                    status, body = 400, {"error": "invalid_grant", "error_description": "client or redirect_uri differs"}
                else:
                    token = provider.token(sub=provider.login_subject, aud=asked["client_id"], nonce=asked.get("nonce"))
                    status, body = 200, {"id_token": token, "token_type": "Bearer", "expires_in": 600}
                provider.exchanges.append((form, status))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "user-1", "iat": now, "exp": now + 600}
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, key: SigningKey | None = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        key = key or self.keys[0]
        return jwt.encode(self.claims(**claims), key.private, algorithm=key.alg, headers={"kid": key.kid, **(headers or {})})

    # The forgeries of issue 11, item 3.
    def unsigned_token(self, **claims: Any) -> str:
        header = {"alg": "none", "typ": "JWT", "kid": self.keys[0].kid}
        return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(self.claims(**claims)).encode())}."

    def hmac_with_public_key_token(self, **claims: Any) -> str:
        """HS256 'signed' with the issuer's public key, which anyone can download (alg confusion)."""
        import hashlib
        import hmac

        key = self.keys[0]
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
        payload = _b64(json.dumps(self.claims(**claims)).encode())
        signature = hmac.new(key.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def token_with_bad_signature(self, **claims: Any) -> str:
        header, payload, signature = self.token(**claims).split(".")
        flipped = _b64(
            bytes([base64.urlsafe_b64decode(signature + "==")[0] ^ 1]) + base64.urlsafe_b64decode(signature + "==")[1:]
        )
        return f"{header}.{payload}.{flipped}"

    def token_signed_by_stranger(self, kid: str | None = None, **claims: Any) -> str:
        """Signed with a key the issuer does not publish, under its own or a made-up kid."""
        stranger = rsa_key(kid or "unknown-kid")
        return self.token(key=stranger, **claims)
