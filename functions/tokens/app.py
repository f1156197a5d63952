"""Revoked tokens: deny a token id or a subject's tokens, list and lift revocations (issue 19)."""

from flyte_core.adapters import Adapters
from flyte_core.domain.revocations import list_representation, representation, revocation_url
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import tokens
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.get("/v1/tokens/revocations", summary="List revoked tokens and subjects", tags=["token"], operation_id="listRevocations")
def list_revocations():
    request = Request(app)
    return request.respond(list_representation(tokens.revocations(adapters), request.base))


@app.post(
    "/v1/tokens/revocations",
    summary='Revoke a token ({"jti"}) or a subject\'s tokens issued so far ({"sub", "iss"?}); applies within a minute',
    tags=["token"],
    operation_id="revokeToken",
)
def revoke():
    request = Request(app)
    entry = tokens.revoke(adapters, request.json_body("revocation"), request.caller)
    return request.respond(representation(entry, request.base), 201, headers={"Location": revocation_url(request.base, entry.id)})


@app.delete("/v1/tokens/revocations/<revocationId>", summary="Lift a revocation", tags=["token"], operation_id="liftRevocation")
def lift(revocationId: str):
    request = Request(app)
    tokens.lift(adapters, path_value(revocationId, "revocationId"), request.caller)
    return empty(204)


lambda_handler = http_entrypoint(app)
