"""Secrets flows reference (issue 24): set (create or rotate), list, show the history of and delete
them. No answer of this function holds a value, and it never asks the store for one."""

from flyte_core.adapters import Adapters
from flyte_core.domain.secrets import history_entry, list_representation, representation, secret_url
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import secrets
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.get(
    "/v1/secrets",
    summary="List secrets (names, descriptions, scopes, who changed them; never values)",
    tags=["secret"],
    operation_id="listSecrets",
)
def list_secrets():
    request = Request(app)
    return request.respond(list_representation(secrets.all_secrets(adapters), request.base, request.start()))


@app.get(
    "/v1/secrets/<name>",
    summary="A secret's versions: who set each and when (never values)",
    tags=["secret"],
    operation_id="getSecret",
)
def get_secret(name: str):
    request = Request(app)
    versions = secrets.history(adapters, path_value(name, "name"))
    shown = representation(versions[-1], request.base)
    return request.respond({**shown, "history": [history_entry(v) for v in versions]})


@app.put(
    "/v1/secrets/<name>",
    summary="Set a secret ({value, description?, scope?: {packs, labels, flows}}); later takes receive the new value",
    tags=["secret"],
    operation_id="putSecret",
)
def put_secret(name: str):
    request = Request(app)
    secret, created = secrets.put(adapters, path_value(name, "name"), request.json_body("secret"), request.caller)
    headers = {"Location": secret_url(request.base, secret.name)}
    return request.respond(representation(secret, request.base), 201 if created else 200, headers=headers)


@app.delete("/v1/secrets/<name>", summary="Delete a secret and its history", tags=["secret"], operation_id="deleteSecret")
def delete_secret(name: str):
    secrets.delete(adapters, path_value(name, "name"), Request(app).caller)
    return empty(204)


lambda_handler = http_entrypoint(app)
