"""Schedules (issue 22): create, list, get, replace, delete and preview named schedules. They live in
the stack's EventBridge Scheduler group and fire events of the built-in `Schedule` pack (the built-in
`Ticker` fires flyte-ticker's `Tick`) through the schedule-firing function."""

from flyte_core.adapters import Adapters
from flyte_core.domain import schedules as rules
from flyte_core.domain import times
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import schedules
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.get(
    "/v1/schedules", summary="List schedules (the built-in Ticker included)", tags=["schedule"], operation_id="listSchedules"
)
def list_schedules():
    request = Request(app)
    now = times.now()
    found = schedules.every(adapters.schedule_store)
    return request.respond({"schedules": [rules.representation(s, request.base, now, 1) for s in found]})


@app.post(
    "/v1/schedules",
    summary="Create a schedule ({name, expression, timezone, payload, enabled, missed})",
    tags=["schedule"],
    operation_id="createSchedule",
)
def create_schedule():
    request = Request(app)
    body = request.json_body("schedule")
    name = rules.check_name(body.get("name") if isinstance(body, dict) else None)
    schedule, _ = schedules.put(adapters.schedule_store, name, body, create_only=True)
    url = rules.schedule_url(request.base, name)
    return request.respond(rules.representation(schedule, request.base, times.now()), 201, headers={"Location": url})


@app.post(
    "/v1/schedules/preview",
    summary="The next fire times of an expression, without saving it",
    tags=["schedule"],
    operation_id="previewSchedule",
)
def preview_schedule():
    request = Request(app)
    schedule, count = schedules.preview(request.json_body("preview"))
    return request.respond(rules.representation(schedule, request.base, times.now(), count))


@app.get(
    "/v1/schedules/<name>",
    summary="Get a schedule and its next fire times (?count=1..50)",
    tags=["schedule"],
    operation_id="getSchedule",
)
def get_schedule(name: str):
    request = Request(app)
    count = rules.check_preview_count(request.query("count"))
    schedule = schedules.get(adapters.schedule_store, path_value(name, "name"))
    return request.respond(rules.representation(schedule, request.base, times.now(), count))


@app.put("/v1/schedules/<name>", summary="Create or replace a schedule", tags=["schedule"], operation_id="putSchedule")
def put_schedule(name: str):
    request = Request(app)
    schedule, created = schedules.put(adapters.schedule_store, path_value(name, "name"), request.json_body("schedule"))
    url = rules.schedule_url(request.base, schedule.name)
    return request.respond(
        rules.representation(schedule, request.base, times.now()), 201 if created else 200, headers={"Location": url}
    )


@app.delete("/v1/schedules/<name>", summary="Delete a schedule", tags=["schedule"], operation_id="deleteSchedule")
def delete_schedule(name: str):
    schedules.delete(adapters.schedule_store, path_value(name, "name"))
    return empty(204)


lambda_handler = http_entrypoint(app)
