"""Cost of the auth check (issue 11): the latency it adds to a request once the issuer's key is cached.

    python bench/bench_auth.py [--requests N]

A local OIDC issuer (the tests' one) serves its keys on a loopback port; the JWKS is fetched once,
before timing. Printed, in microseconds (median and p99 over N requests):

* check:    the guard alone, per kind of request: an open rule (no token), an RS256 and an ES256 ID
            token with claims, a token of the stack's own issuer (HS256), and a refused forgery;
* request:  a whole API-function request (Powertools resolver with Flyte's error handling, the
            middleware, a trivial route) without auth and with auth and an RS256 token: the
            difference is what a user waits more, in the function.
Not a test: it prints figures and never fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "flyte_core"), str(ROOT)]
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

from flyte_core.http.auth.guard import Refused, auth_settings, build_guard  # noqa: E402
from flyte_core.http.auth.issuer import BuiltInIssuer  # noqa: E402
from tests.oidc import CLIENT_ID, OidcProvider  # noqa: E402

POLICY = """
- path: /v1
  methods: [GET]
- path: /v1/things
  methods: [GET]
  claims: {groups: [sre]}
"""
SECRET = '{"issuer": "urn:flyte:bench", "key": "a-benchmark-key-of-sufficient-length-0123456789"}'


def timed(call: Callable[[], object], count: int) -> tuple[float, float]:
    for _ in range(min(200, count)):
        call()  # warm: caches, first imports
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def event(path: str, token: str | None) -> dict:
    headers = {"host": "bench.example.com", "accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": "r",
            "routeKey": f"GET {path}",
            "stage": "$default",
            "accountId": "1",
            "apiId": "a",
            "domainName": "bench.example.com",
            "domainPrefix": "bench",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


def resolver_request(environment: dict[str, str], token: str | None, count: int) -> tuple[float, float]:
    """One API function's request path, auth on or off as `environment` says."""
    from flyte_core.http.auth import environment as auth_environment

    for name in ("FLYTE_AUTH_POLICY_PATH", "FLYTE_OIDC_ISSUER_URL", "FLYTE_OIDC_ISSUER_CLIENT_ID", "FLYTE_TOKEN_SECRET_ARN"):
        os.environ.pop(name, None)
    os.environ.update(environment)
    auth_environment.environment_guard.cache_clear()
    from flyte_core.http.api import Request, create_app

    app = create_app()

    @app.get("/v1/things")
    def things():
        return Request(app).respond({"things": []})

    request = event("/v1/things", token)
    assert app.resolve(request, None)["statusCode"] == 200
    return timed(lambda: app.resolve(request, None), count)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    count = parser.parse_args().requests

    provider = OidcProvider().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            policy_path = Path(folder) / "policy.yaml"
            policy_path.write_text(POLICY, encoding="utf-8")
            environment = {
                "FLYTE_AUTH_POLICY_PATH": str(policy_path),
                "FLYTE_OIDC_ISSUER_URL": provider.issuer,
                "FLYTE_OIDC_ISSUER_CLIENT_ID": CLIENT_ID,
            }
            settings = auth_settings({**environment, "FLYTE_TOKEN_SECRET_ARN": "bench-secret"})
            guard = build_guard(settings, read_parameter=lambda name: "", read_secret=lambda arn: SECRET)
            rs256 = provider.token(groups=["sre"])
            es256 = provider.token(key=provider.keys[1], groups=["sre"])
            built_in = BuiltInIssuer.from_secret(SECRET).mint("bench", {"groups": "sre"}, 3600)
            forged = provider.hmac_with_public_key_token(groups=["sre"])
            guard.check("GET", "/v1/things", f"Bearer {rs256}")  # the JWKS, fetched once
            fetched = provider.jwks_requests

            def refused() -> None:
                try:
                    guard.check("GET", "/v1/things", f"Bearer {forged}")
                except Refused:
                    pass

            print(f"auth check, {count} requests each (us: median / p99)")
            for label, call in [
                ("open rule, no token", lambda: guard.check("GET", "/v1", None)),
                ("RS256 ID token + claims", lambda: guard.check("GET", "/v1/things", f"Bearer {rs256}")),
                ("ES256 ID token + claims", lambda: guard.check("GET", "/v1/things", f"Bearer {es256}")),
                ("built-in HS256 token + claims", lambda: guard.check("GET", "/v1/things", f"Bearer {built_in}")),
                ("forged token, refused", refused),
            ]:
                median, p99 = timed(call, count)
                print(f"  {label:32s} {median:8.1f} / {p99:8.1f}")
            assert provider.jwks_requests == fetched, "the keys were fetched again while timing"

            off = resolver_request({}, None, count)
            on = resolver_request(environment, rs256, count)
            print(f"whole request in the function (us: median / p99), {count} requests")
            print(f"  auth off                         {off[0]:8.1f} / {off[1]:8.1f}")
            print(f"  auth on, RS256 token             {on[0]:8.1f} / {on[1]:8.1f}")
            print(f"  added by auth                    {on[0] - off[0]:8.1f} us (median)")
    finally:
        provider.stop()


if __name__ == "__main__":
    main()
