"""Discovery links, health, the OpenAPI document and the Swagger UI (api-contract §2)."""

import json
import mimetypes
from functools import lru_cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from flyte_core.adapters import Adapters
from flyte_core.domain import discovery
from flyte_core.domain.errors import NotFound
from flyte_core.http.api import Request, create_app, http_entrypoint, raw
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
    return request.respond(discovery.v1_links(request.base))


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


lambda_handler = http_entrypoint(app)
