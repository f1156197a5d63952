"""Discovery links, health, the OpenAPI document, the Swagger UI (api-contract §2) and the web console."""

import hashlib
import html
import json
import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response

import flyte_core
from flyte_core.adapters import Adapters
from flyte_core.domain import discovery
from flyte_core.domain.errors import NotFound
from flyte_core.http import web
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, raw
from flyte_core.http.auth.guard import auth_settings
from flyte_core.services import health
from flyte_core.settings import Settings

OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")
# swagger-ui-dist 5 (reads OpenAPI 3.1), kept beside this file by `make swagger-ui`, without source maps.
SWAGGER_UI_DIR = Path(__file__).with_name("swagger_ui")
SWAGGER_UI_ASSETS = (
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "LICENSE",
    "NOTICE",
    "swagger-ui-bundle.js.LICENSE.txt",
)
# The page's own script, beside this file (the assets above are swagger-ui-dist's, refreshed by `make swagger-ui`).
SWAGGER_UI_START = Path(__file__).with_name("swagger_ui_start.js")
# Absolute URLs: the page is served at /swagger and /swagger/, where relative ones would differ.
SWAGGER_UI_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Flyte API</title>
<link rel="icon" type="image/png" href="{base}swagger/favicon-32x32.png">
<link rel="stylesheet" href="{base}swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{base}swagger/swagger-ui-bundle.js"></script>
<script src="{base}swagger/{start}" data-openapi="{base}v1/swagger"></script>
</body></html>
"""
# What the page may load and run: scripts, the stylesheet and the OpenAPI document (and "Try it out"
# requests) from the API itself, the images its stylesheet inlines (data:); no inline script or
# style, no eval, no plugin, no framing by another site. (Swagger UI sets its styles through the
# DOM, which the policy allows: tests/e2e/test_stored_content.py runs the page in Chromium.)
SWAGGER_UI_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# The web console (issue 23): static files beside this file, served flat at /console/<file>; the page
# calls the same /v1 API a pack or the CLI does, with the token the user gives it. Its own modules are
# in console/, Preact, its hooks and htm in console/vendor/ (`make console-assets`, no source maps).
CONSOLE_DIR = Path(__file__).with_name("console")
CONSOLE_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Besides the Swagger UI's rules: the page may set no inline style either (styles come from the
# stylesheet, positions are SVG attributes), load no other document, submit no form to anywhere, and
# give no string to an HTML sink (Trusted Types required, none allowed): what the API returns, datastore
# values included, can only ever be text.
CONSOLE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'{issuer}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)


@lru_cache(maxsize=1)
def _console_oidc() -> tuple[str, str] | None:
    """The OIDC issuer and client id the console signs in with (authorization code + PKCE), if any."""
    configured = auth_settings()
    if configured is None or not configured.oidc_issuer_url:
        return None
    return configured.oidc_issuer_url.rstrip("/"), configured.oidc_client_id


@lru_cache(maxsize=1)
def _console_files() -> dict[str, Path]:
    """What /console/<file> serves: the console's files and its vendored libraries, by name."""
    files = {}
    for path in sorted(CONSOLE_DIR.iterdir()) + sorted((CONSOLE_DIR / "vendor").iterdir()):
        if path.is_file() and path.suffix in CONSOLE_CONTENT_TYPES and path.name != "index.html":
            files[path.name] = path
    return files


@lru_cache(maxsize=1)
def _console_page() -> str:
    return (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _openapi() -> dict:
    return json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))


settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(api_routes=lambda: _openapi()["paths"], settings=settings)  # info receives every unrouted request ($default)
adapters = Adapters(settings)


@app.get("/", summary="Links to the API versions", tags=["info"], operation_id="root")
def root():
    request = Request(app)
    return request.respond(discovery.root_links(request.base))


@app.get("/v1", summary="Links to every v1 resource", tags=["info"], operation_id="v1")
def v1():
    request = Request(app)
    return request.respond(discovery.v1_links(request.base, flyte_core.__version__))


@app.get("/health", summary="200 when the API and its tables answer", tags=["info"], operation_id="health")
def health_check():
    health.check(adapters)
    return Request(app).respond({"status": "ok"})


@app.get("/v1/swagger", summary="This API's OpenAPI document", tags=["info"], operation_id="swagger")
def openapi_document():
    request = Request(app)
    return request.respond(_openapi())


@app.get("/swagger", summary="Swagger UI", tags=["info"], operation_id="swaggerUi")
@app.get("/swagger/", summary="Swagger UI (trailing slash)", tags=["info"], operation_id="swaggerUiSlash")
def swagger_ui():
    page = SWAGGER_UI_PAGE.format(base=Request(app).base, start=SWAGGER_UI_START.name)
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=page,
        headers={"Content-Security-Policy": SWAGGER_UI_CONTENT_SECURITY_POLICY},
    )


@app.get("/swagger/<file>", summary="Swagger UI assets", tags=["info"], operation_id="swaggerUiAsset")
def swagger_ui_asset(file: str):
    if file == SWAGGER_UI_START.name:
        path = SWAGGER_UI_START
    elif file in SWAGGER_UI_ASSETS:
        path = SWAGGER_UI_DIR / file
    else:
        raise NotFound(f"No Swagger UI file {file!r}.")
    content_type = mimetypes.guess_type(file)[0] or "text/plain; charset=utf-8"
    return raw(path.read_bytes(), content_type, headers={"Cache-Control": "public, max-age=86400"})


@app.get("/console", summary="The web console", tags=["info"], operation_id="console")
@app.get("/console/", summary="The web console (trailing slash)", tags=["info"], operation_id="consoleSlash")
def console():
    # Absolute URLs, as the Swagger UI's: the page answers at /console and /console/ (and at
    # /console/?code=...&state=... on the way back from the identity provider).
    oidc = _console_oidc()
    issuer, client_id = oidc or ("", "")
    page = (
        _console_page()
        .replace("{base}", html.escape(Request(app).base))
        .replace("{oidc_issuer}", html.escape(issuer))
        .replace("{oidc_client_id}", html.escape(client_id))
    )
    # The page may then also ask the issuer for its discovery document and exchange a code for a token.
    origin = f" {urlsplit(issuer).scheme}://{urlsplit(issuer).netloc}" if oidc else ""
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=page,
        headers={"Content-Security-Policy": CONSOLE_CONTENT_SECURITY_POLICY.format(issuer=origin), "Cache-Control": "no-cache"},
    )


@app.get("/console/<file>", summary="The web console's scripts, stylesheet and icon", tags=["info"], operation_id="consoleAsset")
def console_asset(file: str):
    path = _console_files().get(file)
    if path is None:
        raise NotFound(f"No console file {file!r}.")
    # Revalidated at each visit (the names carry no version): an upgrade shows at once, and an
    # unchanged file costs an empty 304.
    body = path.read_bytes()
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"Cache-Control": "no-cache", "ETag": tag}
    if tag in (web.header(app.current_event.headers, "if-none-match") or "").split(", "):
        return empty(304, headers)
    return raw(body, CONSOLE_CONTENT_TYPES[path.suffix], headers=headers)


lambda_handler = http_entrypoint(app)
