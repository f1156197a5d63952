"""Inbound webhooks (issue 22): named hooks (admins create, list, rotate and delete them) and their
public receiving URL, POST /v1/hooks/{name}, verified by the hook's own scheme (GitHub, GitLab,
Slack-style, generic HMAC, bearer) instead of the API's tokens."""

from flyte_core.adapters import Adapters
from flyte_core.domain import hooks as rules
from flyte_core.domain.events import trace_location
from flyte_core.http import web
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import hooks
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.get("/v1/hooks", summary="List webhooks (no secrets)", tags=["hook"], operation_id="listHooks")
def list_hooks():
    request = Request(app)
    return request.respond({"hooks": [rules.representation(h, request.base) for h in hooks.every(adapters.hook_secrets)]})


@app.post("/v1/hooks", summary="Create a webhook; its secret is shown this once", tags=["hook"], operation_id="createHook")
def create_hook():
    request = Request(app)
    hook, secret = hooks.create(adapters.hook_secrets, request.json_body("hook"))
    url = rules.hook_url(request.base, hook.name)
    return request.respond(rules.representation(hook, request.base, secret), 201, headers={"Location": url})


@app.get("/v1/hooks/<name>", summary="Get a webhook (no secret)", tags=["hook"], operation_id="getHook")
def get_hook(name: str):
    request = Request(app)
    return request.respond(rules.representation(hooks.get(adapters.hook_secrets, path_value(name, "name")), request.base))


@app.post(
    "/v1/hooks/<name>/rotate", summary="A new secret for a webhook, shown this once", tags=["hook"], operation_id="rotateHook"
)
def rotate_hook(name: str):
    request = Request(app)
    body = request.json_body("rotation") if request.raw_body().strip() else None
    hook, secret = hooks.rotate(adapters.hook_secrets, path_value(name, "name"), body)
    return request.respond(rules.representation(hook, request.base, secret))


@app.delete("/v1/hooks/<name>", summary="Delete a webhook and its secret", tags=["hook"], operation_id="deleteHook")
def delete_hook(name: str):
    hooks.delete(adapters.hook_secrets, path_value(name, "name"))
    return empty(204)


@app.post(
    "/v1/hooks/<name>",
    summary="Receive a webhook (public; verified by the hook's scheme): 202 with the event's trace, 200 for a repeated delivery",
    tags=["hook"],
    operation_id="receiveHook",
)
def receive_hook(name: str):
    request = Request(app)
    event_id, repeated = hooks.receive(
        adapters, path_value(name, "name"), lambda header: web.header(request.headers, header), request.raw_body()
    )
    return empty(200 if repeated else 202, headers={"Location": trace_location(request.base, event_id)})


lambda_handler = http_entrypoint(app)
