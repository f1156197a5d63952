"""What packs call while they run: post events, take actions (long poll), post results (spec 4)."""

from flyte_core.adapters import actions_table, packs_table
from flyte_core.domain import events, packs, times
from flyte_core.domain.actions import MAX_TAKE_WAIT_SECONDS
from flyte_core.domain.errors import InvalidInput, NotFound, StateConflict
from flyte_core.domain.links import link, segment
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import pipeline
from flyte_core.settings import settings

app = create_app()


def seen_pack(raw_pack_id: str):
    """The registered pack, its lastSeen refreshed (spec 3.3); 404 when it is not registered."""
    pack = packs_table.touch(path_value(raw_pack_id, "packId"), times.now())
    if pack is None:
        raise NotFound(f"No pack {path_value(raw_pack_id, 'packId')!r} is registered; register it with POST /v1/packs first.")
    return pack


@app.post("/v1/packs/<packId>/events", summary="Post an event from a pack", tags=["event"], operation_id="postEvent")
def post_event(packId: str):
    request = Request(app)
    pack = seen_pack(packId)
    name, payload, created_at = events.parse_posted(request.json_body("event"))
    event = pipeline.receive_event(pack, name, payload, created_at)
    return _accepted(request, event.id)


def _accepted(request: Request, event_id: str):
    """202, pointing at where the event's trace will say what became of it."""
    return empty(202, headers={"Location": events.trace_location(request.base, event_id)})


@app.post("/v1/packs/<packId>/actions/take", summary="Take the next action (long poll: ?wait=0..20 seconds)",
          tags=["action"], operation_id="takeAction")
def take_action(packId: str):
    request = Request(app)
    pack = seen_pack(packId)
    action = pipeline.take(pack, _wait_seconds(request), request.query("actionName") or request.query("commandName"))
    if action is None:
        return empty(204)
    result_link = f"{packs.pack_url(request.base, pack.id)}/actions/{segment(action.id)}/result"
    return request.respond({"command": action.name, "input": action.input,
                            "links": [link(result_link, request.base + "swagger#/actionResult")]})


def _wait_seconds(request: Request) -> int:
    raw = request.query("wait")
    if raw is None:
        return settings().take_wait_seconds
    try:
        wait = int(raw)
    except ValueError:
        raise InvalidInput(f"'wait' must be a whole number of seconds from 0 to {MAX_TAKE_WAIT_SECONDS}.", field="wait") from None
    if not 0 <= wait <= MAX_TAKE_WAIT_SECONDS:
        raise InvalidInput(f"'wait' must be from 0 to {MAX_TAKE_WAIT_SECONDS} seconds, got {wait}.", field="wait")
    return wait


@app.post("/v1/packs/<packId>/actions/<actionId>/result", summary="Post the result of a taken action",
          tags=["actionResult"], operation_id="postActionResult")
def post_result(packId: str, actionId: str):
    request = Request(app)
    pack = seen_pack(packId)
    name, payload, created_at = events.parse_posted(request.json_body("result"))
    action_id = path_value(actionId, "actionId")
    try:
        finished = pipeline.complete(pack, action_id, name, payload, created_at)
    except StateConflict:  # NotAllowed goes on to its 403 as it is
        current = actions_table.get(action_id)
        raise StateConflict(f"Action {action_id} is {current.state if current else 'gone'}, not PENDING: "
                             "only a taken action takes a result, and only once.", state=current.state if current else None) from None
    if finished is None:
        raise NotFound(f"No action {action_id!r}.")
    return _accepted(request, finished.result["id"])


lambda_handler = http_entrypoint(app)
