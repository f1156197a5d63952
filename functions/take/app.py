"""A pack's long poll for its next action (api-contract §4): POST /v1/packs/{packId}/actions/take.

A function of its own (issue 21): a take mostly waits on SQS, so it runs small (less memory, paid
per millisecond parked) and under its own reserved concurrency, so that parked polls can never use
up the environments that event posts, results and the step matcher need.
"""

from flyte_core.adapters import Adapters
from flyte_core.domain.links import link, segment
from flyte_core.domain.packs import pack_url
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import pack_runtime
from flyte_core.settings import MAX_TAKE_WAIT_SECONDS, Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.post(
    "/v1/packs/<packId>/actions/take",
    summary=f"Take the next action (long poll: ?wait=0..{MAX_TAKE_WAIT_SECONDS} seconds)",
    tags=["action"],
    operation_id="takeAction",
)
def take_action(packId: str):
    request = Request(app)
    pack, action = pack_runtime.take(
        adapters,
        path_value(packId, "packId"),
        request.query("wait"),
        request.query("actionName") or request.query("commandName"),
        request.caller,
    )
    if action is None:
        return empty(204)
    result_link = f"{pack_url(request.base, pack.id)}/actions/{segment(action.id)}/result"
    return request.respond(
        {"command": action.name, "input": action.input, "links": [link(result_link, request.base + "swagger#/actionResult")]}
    )


lambda_handler = http_entrypoint(app)
