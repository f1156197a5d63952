"""What packs call while they run: post events and post results (api-contract §4). Their long poll for
actions, POST .../actions/take, is the take function's (functions/take, issue 21)."""

from flyte_core.adapters import Adapters
from flyte_core.domain import idempotency
from flyte_core.domain.chat import parse_posted_actor
from flyte_core.domain.events import parse_posted, trace_location
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import pack_runtime
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.post("/v1/packs/<packId>/events", summary="Post an event from a pack", tags=["event"], operation_id="postEvent")
def post_event(packId: str):
    request = Request(app)
    event = pack_runtime.post_event(
        adapters,
        path_value(packId, "packId"),
        lambda: _posted_event(request.json_body("event")),
        request.caller,
        idempotency.check_key(request.header(idempotency.HEADER)),
    )
    return _accepted(request, event.id)


def _posted_event(body):
    """The event, and the person a chat pack says acted (issue 27: kept only from that pack's token)."""
    return (*parse_posted(body), parse_posted_actor(body))


def _accepted(request: Request, event_id: str):
    """202, pointing at where the event's trace will say what became of it."""
    return empty(202, headers={"Location": trace_location(request.base, event_id)})


@app.post(
    "/v1/packs/<packId>/actions/<actionId>/result",
    summary="Post the result of a taken action",
    tags=["actionResult"],
    operation_id="postActionResult",
)
def post_result(packId: str, actionId: str):
    request = Request(app)
    result_id = pack_runtime.post_result(
        adapters,
        path_value(packId, "packId"),
        path_value(actionId, "actionId"),
        lambda: parse_posted(request.json_body("result")),
        request.caller,
        idempotency.check_key(request.header(idempotency.HEADER)),
    )
    return _accepted(request, result_id)


lambda_handler = http_entrypoint(app)
