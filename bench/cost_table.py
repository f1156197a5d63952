"""`make cost-table`: what Flyte costs on AWS, from requests counted on the local stack (issue 21).

Counts, at the botocore level in every function (flyte_local counts them per function and per
DynamoDB table), the AWS requests of:

  * one idle poll of a long-polling pack, both ways a pack may wait (issue 21):
    - the ready poll the SDK uses (GET .../actions/ready: API Gateway's own SQS ReceiveMessage, no
      function; counted by the local stack's gateway: the API request, the SQS request, and the
      authorizer's invocations, which API Gateway caches for its TTL), and
    - the take a flyte-client pack uses (a take with ?wait=TakeWaitSeconds that finds nothing), and
  * one run of the quick start as the SDK runs it (the Slack message, the Shell action and its
    result, the Slack reply and its result: 3 events through the stream; each action announced by
    a ready poll, then taken),

and turns them into write units (each item written, plus each index its attributes reach, from
template.yaml's index definitions), dollars at on-demand us-east-1 prices, and the first AWS quota each scale meets.
These are estimates from counts, not bills: item sizes are taken as under 1 KB (a trace can be more),
and a request other than a take as 100 ms of its function. The table is written into docs/scale.md
between its markers; `--print` prints it instead.

Run: .venv/bin/python bench/cost_table.py [--print]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402
from bench_push import DAY, DYNAMODB_READ, DYNAMODB_WRITE, HTTP_API_REQUEST, LAMBDA_GB_SECOND, LAMBDA_REQUEST, SQS_REQUEST  # noqa: E402

from flyte_local import application  # noqa: E402
from flyte_local.cfn import load_template, table_properties  # noqa: E402
from flyte_local.runtime import ITEM_COUNT  # noqa: E402
from flyte_local.stack import LocalStack  # noqa: E402

DOC = ROOT / "docs" / "scale.md"
BEGIN, END = "<!-- cost-table:begin (make cost-table) -->", "<!-- cost-table:end -->"
FLYTE_CLIENT_PAUSE = 5  # seconds flyte-client waits after a 204 before it takes again (api-contract §12.1)
REQUEST_SECONDS = 0.1  # a function's time for an API request other than a take, or a stream batch
MONTH = 30
# AWS quotas each scale is checked against (defaults of a new account, us-east-1).
LAMBDA_CONCURRENCY = 1_000  # concurrent executions, shared by every function of the region
SSM_GET_PARAMETER_TPS = 40  # standard throughput; the policy is read every 45-60 s per environment
DYNAMODB_NEW_TABLE_WRITES = 4_000  # on-demand: write units a second a new table takes at once (then doubles from its peak)
DYNAMODB_KEY_WRITES = 1_000  # write units a second on one partition key (table or index)


@dataclass(frozen=True)
class Scale:
    name: str
    packs: int
    events_per_second: float
    burst_per_second: float


SCALES = [
    Scale("10 packs, 1k events a day", 10, 1_000 / DAY, 1),
    Scale("200 packs, 1 event a second", 200, 1, 1),
    Scale("5,000 packs, 100 events a second, bursts of 1,000", 5_000, 100, 1_000),
]


@dataclass(frozen=True)
class Index:
    keys: frozenset[str]
    projection: str  # ALL | INCLUDE | KEYS_ONLY
    included: frozenset[str]

    def reached_by(self, kind: str, attributes: set[str]) -> int:
        """Write units one item write takes in this index (items under 1 KB). A put: 1 when the item
        has the index's keys. An update: 2 when it changes a key of the index (the entry moves: a
        delete and a put), 1 when it changes an attribute the index projects, else 0 - an upper bound,
        as the item is taken to be in the index. A delete: 1."""
        if kind == "Put":
            return int(self.keys <= attributes)
        if kind == "Update":
            if self.keys & attributes:
                return 2
            return int(self.projection == "ALL" or bool(self.included & attributes))
        return 1


READY_WAIT = 20  # the SDK's ready poll: SQS's longest wait (flyte_pack.client)


@dataclass(frozen=True)
class ReadyFacts:
    """The ready poll's authorizer as template.yaml declares it: its cache TTL and memory (GB)."""

    ttl_seconds: int
    authorizer_gb: float


def ready_facts() -> ReadyFacts:
    resources = load_template(application.TEMPLATE)["Resources"]
    schemes = resources["FlyteHttpApi"]["Properties"]["DefinitionBody"]["components"]["securitySchemes"]
    return ReadyFacts(
        int(schemes["ReadyAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"]),
        resources["ReadyAuthorizerFunction"]["Properties"]["MemorySize"] / 1024,
    )


def template_facts() -> tuple[dict[str, dict[str, Index]], float, int, int]:
    """Per table (logical id) its indexes; the take's memory (GB), its default wait and the route's
    default throttle."""
    template = load_template(application.TEMPLATE)
    parameters = template["Parameters"]
    indexes = {
        logical_id: {
            index["IndexName"]: Index(
                frozenset(key["AttributeName"] for key in index["KeySchema"]),
                index["Projection"]["ProjectionType"],
                frozenset(index["Projection"].get("NonKeyAttributes") or []),
            )
            for index in properties.get("GlobalSecondaryIndexes", [])
        }
        for logical_id, properties in table_properties(template).items()  # as a new stack deploys them
    }
    return (
        indexes,
        parameters["TakeMemorySize"]["Default"] / 1024,
        parameters["TakeWaitSeconds"]["Default"],
        parameters["ThrottlingRateLimit"]["Default"],
    )


def item_writes(counts: Counter, table_ids: dict[str, str]) -> Iterator[tuple[str, str, set[str], float]]:
    """The counted item writes: (kind, table's logical id, attributes written, count)."""
    for key, count in counts.items():
        if key.startswith(ITEM_COUNT):
            kind, table, attributes = key[len(ITEM_COUNT) :].split("@", 2)
            yield kind, table_ids.get(table, table), set(filter(None, attributes.split(","))), count


def write_units(counts: Counter, table_ids: dict[str, str], indexes: dict[str, dict[str, Index]]) -> tuple[float, Counter]:
    """Write units of the counted item writes: 1 per item written to the table, plus what each index
    its attributes reach takes (Index.reached_by)."""
    units, by_table = 0.0, Counter()
    for kind, logical, attributes, count in item_writes(counts, table_ids):
        per_item = 1 + sum(index.reached_by(kind, attributes) for index in indexes.get(logical, {}).values())
        units += count * per_item
        by_table[logical] += count * per_item
    return units, by_table


def reads(counts: Counter) -> float:
    return sum(n for key, n in counts.items() if key.startswith("dynamodb.") and key.split(".")[1] in READS)


READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def delta(stack: LocalStack, before: dict[str, tuple[Counter, int]]) -> tuple[Counter, int]:
    counts, invocations = Counter(), 0
    for name, runtime in stack.runtimes.items():
        counts += runtime.aws_requests - before.get(name, (Counter(), 0))[0]
        invocations += runtime.invocations - before.get(name, (Counter(), 0))[1]
    return counts, invocations


def snapshot(stack: LocalStack) -> dict[str, tuple[Counter, int]]:
    return {name: (Counter(runtime.aws_requests), runtime.invocations) for name, runtime in stack.runtimes.items()}


def register(url: str, name: str) -> dict:
    return requests.post(f"{url}/v1/packs", json={"name": name}).json()


def link(pack: dict, rel_end: str) -> str:
    return next(item["href"] for item in pack["links"] if item["rel"].endswith(rel_end))


def ready_poll(session: requests.Session, pack: dict, wait: int) -> bool:
    """One ready poll (GET .../actions/ready); whether it saw an action waiting."""
    response = session.get(link(pack, "actionReady"), params={"wait": wait})
    assert response.status_code == 200, response.text
    return bool(response.json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"])


def take_until(session: requests.Session, pack: dict, calls: Counter) -> dict:
    """What the SDK does: wait on ready, then take (wait=1) what it announced."""
    for _ in range(8):
        calls["ready"] += 1
        if not ready_poll(session, pack, 5):
            continue
        calls["rang"] += 1
        calls["take"] += 1
        response = session.post(link(pack, "takeAction"), params={"wait": 1})
        if response.status_code == 200:
            return response.json()
        calls["empty_take"] += 1
    raise AssertionError("no action came")


def gateway_counts(stack: LocalStack) -> Counter:
    assert stack.service_routes is not None
    return Counter(stack.service_routes.counts)


def measure(stack: LocalStack) -> dict:
    url, session = stack.url, requests.Session()
    idle = register(url, "Idle")
    for _ in range(2):  # warm the take function's environment
        session.post(link(idle, "takeAction"), params={"wait": 0})
    before, polls, started = snapshot(stack), 5, time.monotonic()
    for _ in range(polls):
        assert session.post(link(idle, "takeAction"), params={"wait": 1}).status_code == 204
    idle_counts, idle_invocations = delta(stack, before)

    # The ready poll: one authorizer call (its answer then cached), then polls that run no function.
    ready = register(url, "IdleReady")
    before, gateway_before = snapshot(stack), gateway_counts(stack)
    assert not ready_poll(session, ready, 0)
    authorizer_counts, authorizer_invocations = delta(stack, before)
    assert gateway_counts(stack)["authorizer"] - gateway_before["authorizer"] == 1 == authorizer_invocations
    before, gateway_before = snapshot(stack), gateway_counts(stack)
    for _ in range(polls):
        assert not ready_poll(session, ready, 1)
    ready_counts, ready_invocations = delta(stack, before)
    gateway = gateway_counts(stack) - gateway_before
    assert ready_invocations == 0 and not ready_counts and gateway["authorizer"] == 0, (ready_counts, gateway)

    flow = (ROOT / "examples" / "uk-bank-holidays.flow.yaml").read_bytes()
    requests.post(f"{url}/v1/flows", data=flow, headers={"content-type": "application/x-yaml"})
    slack, shell = register(url, "Slack"), register(url, "Shell")
    for pack in (slack, shell):  # the authorizer's answers, cached before the run (a cost per TTL, not per event)
        ready_poll(session, pack, 0)
    time.sleep(0.5)
    before, gateway_before, calls = snapshot(stack), gateway_counts(stack), Counter()
    message = {
        "message": "flyte uk-bank-holidays",
        "channelId": "C1",
        "user": {"id": "U1"},
        "timestamp": "1.1",
        "threadTimestamp": "",
    }
    assert session.post(link(slack, "event"), json={"event": "ReceivedMessage", "payload": message}).status_code == 202
    command = take_until(session, shell, calls)
    output = {"stdout": "2026-12-25 - Christmas Day\n", "stderr": "", "exit_code": 0}
    session.post(link(command, "actionResult"), json={"event": "Output", "payload": output})
    reply = take_until(session, slack, calls)
    session.post(link(reply, "actionResult"), json={"event": "MessageSent", "payload": {}})
    time.sleep(1.0)  # the last result's stream record
    run_counts, run_invocations = delta(stack, before)
    run_gateway = gateway_counts(stack) - gateway_before
    assert run_gateway["authorizer"] == 0, run_gateway
    return {
        "idle": (idle_counts, idle_invocations, polls, (time.monotonic() - started) / polls),
        "ready": (gateway, polls, authorizer_counts),
        # API requests of the flow: 3 event and result posts, the readies that rang, the takes
        "run": (run_counts, run_invocations, 3 + calls["rang"] + calls["take"], calls),
        "trace_bytes": trace_bytes(stack),
    }


def trace_bytes(stack: LocalStack) -> float:
    """The mean size of the run's trace records (the matcher's trace of each event), about as DynamoDB
    sizes an item: what the released code copied into the event item and byPack once more."""
    assert stack.backend is not None and stack.app is not None
    dynamodb = stack.backend.client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(TableName=stack.app.table_names["ActionsTable"])
    traces = [item for page in pages for item in page["Items"] if item.get("recordType", {}).get("S") == "trace"]
    return sum(len(json.dumps(item)) for item in traces) / max(len(traces), 1)


def per_unit(counts: Counter, scale: float) -> Counter:
    return Counter({key: value / scale for key, value in counts.items()})


def render(measured: dict, stack_tables: dict[str, str]) -> str:
    indexes, take_gb, wait, route_rate = template_facts()
    facts = ready_facts()
    idle_counts, _, polls, _ = measured["idle"]
    poll = per_unit(idle_counts, polls)
    poll_units, _ = write_units(poll, stack_tables, indexes)
    last_seen = Counter({f"{ITEM_COUNT}Update@packs@lastSeen": 1})
    last_seen_units = (DAY / 60) * write_units(last_seen, {"packs": "PacksTable"}, indexes)[0]

    def take_pack_day(take_wait: int) -> tuple[float, float, float]:
        """An idle flyte-client pack's day: a take parked `take_wait` seconds (none: a short request),
        then the client's own pause before the next. Returns (cost, polls a day, Lambda time's cost)."""
        polls_a_day = DAY / (take_wait + FLYTE_CLIENT_PAUSE)
        lambda_time = polls_a_day * (take_wait or REQUEST_SECONDS) * take_gb * LAMBDA_GB_SECOND
        per_poll = (
            HTTP_API_REQUEST
            + LAMBDA_REQUEST
            + sum(n for k, n in poll.items() if k.startswith("sqs.")) * SQS_REQUEST
            + reads(poll) * DYNAMODB_READ
            + poll_units * DYNAMODB_WRITE
        )
        return polls_a_day * per_poll + lambda_time + last_seen_units * DYNAMODB_WRITE, polls_a_day, lambda_time

    take_day, polls_a_day, take_lambda_day = take_pack_day(wait)
    short_take_day, _, _ = take_pack_day(0)  # TakeWaitSeconds=0: flyte-client's own 5 s polling, nothing parked

    # The ready poll: per poll an API request and API Gateway's SQS request; per TTL one authorizer
    # invocation (its reads, and its lastSeen write: the pack's only one while it idles).
    gateway, ready_polls, authorizer_counts = measured["ready"]
    readies_a_day, authorizer_calls_a_day = DAY / READY_WAIT, DAY / facts.ttl_seconds
    authorizer_units, _ = write_units(authorizer_counts, stack_tables, indexes)
    # an idle pack's lastSeen is older than a minute at each call (the bench's pack had just registered)
    authorizer_units = max(authorizer_units, last_seen_units / (DAY / 60))
    authorizer_call = (
        LAMBDA_REQUEST
        + REQUEST_SECONDS * facts.authorizer_gb * LAMBDA_GB_SECOND
        + reads(authorizer_counts) * DYNAMODB_READ
        + authorizer_units * DYNAMODB_WRITE
    )
    ready_requests = gateway["requests"] / ready_polls
    ready_sqs = gateway["sqs.ReceiveMessage"] / ready_polls
    ready_day = (
        readies_a_day * (ready_requests * HTTP_API_REQUEST + ready_sqs * SQS_REQUEST) + authorizer_calls_a_day * authorizer_call
    )

    run_counts, run_invocations, api_requests, calls = measured["run"]
    # the run's empty ready polls and takes are the bench's own waiting, not the flow's cost (an idle pack pays for those)
    events = 3
    units, by_table = write_units(run_counts, stack_tables, indexes)
    flow_invocations = run_invocations - calls["empty_take"]
    flow_api = api_requests - calls["empty_take"]
    per_event = {
        "api": flow_api / events,
        "invocations": flow_invocations / events,
        "sqs": (sum(n for k, n in run_counts.items() if k.startswith("sqs.")) + calls["rang"]) / events,
        "reads": reads(run_counts) / events,
        "writes": units / events,
    }
    event_cost = (
        per_event["api"] * HTTP_API_REQUEST
        + per_event["invocations"] * (LAMBDA_REQUEST + REQUEST_SECONDS * 0.5 * LAMBDA_GB_SECOND)
        + per_event["sqs"] * SQS_REQUEST
        + per_event["reads"] * DYNAMODB_READ
        + per_event["writes"] * DYNAMODB_WRITE
    )
    # A flyte-client pack takes without the ready poll: the same event less the readies that rang.
    take_event_cost = event_cost - calls["rang"] / events * (HTTP_API_REQUEST + SQS_REQUEST)

    lines = [
        BEGIN,
        "",
        "Measured: AWS requests counted on the local stack, per operation (an idle ready poll: the SDK's "
        f"GET .../actions/ready, which API Gateway answers with its own SQS ReceiveMessage, waiting {READY_WAIT} s, "
        f"with the authorizer called once per {facts.ttl_seconds} s cache TTL; an idle take: a take with ?wait={wait} "
        "that finds nothing, what a flyte-client pack does; an event: one third of a quick-start run as the SDK "
        "runs it, which is 3 events, 2 actions announced by a ready poll and taken, 2 results). Write units: each "
        "item written, plus each index its attributes reach (template.yaml; an update: 2 where it moves an entry, "
        "1 where it changes a projected attribute). Prices: on-demand, us-east-1, x86.",
        "",
        "| operation | API requests | invocations | SQS requests | DynamoDB reads | DynamoDB write units |",
        "|---|---|---|---|---|---|",
        f"| idle ready poll (API Gateway's SQS peek, nothing came) | {ready_requests:.0f} | 0 (+ the authorizer once per "
        f"{facts.ttl_seconds} s: {facts.ttl_seconds / READY_WAIT:.0f} polls) | {ready_sqs:.1f} | 0 (+ {reads(authorizer_counts):.0f} "
        f"per authorizer call) | 0 (+ {authorizer_units:.1f} per authorizer call: lastSeen) |",
        f"| idle take (Lambda long poll, nothing came) | 1 | 1 | {sum(n for k, n in poll.items() if k.startswith('sqs.')):.1f} "
        f"| {reads(poll):.1f} | {poll_units:.1f} (+ lastSeen once a minute: {last_seen_units / polls_a_day:.2f}) |",
        f"| event (posted, matched, its action announced and taken, its result posted) | {per_event['api']:.1f} "
        f"| {per_event['invocations']:.1f} | {per_event['sqs']:.1f} | {per_event['reads']:.1f} | {per_event['writes']:.1f} |",
        "",
        "Write units per event by table: "
        + ", ".join(f"{table} {count / events:.1f}" for table, count in sorted(by_table.items()))
        + ".",
        "",
        hot_key_line(run_counts, stack_tables),
        "",
        hot_pack_line(run_counts, stack_tables, events, measured["trace_bytes"]),
        "",
        f"Cost: **${event_cost * 1e6:,.2f} per million events**; **${ready_day:.4f} per idle pack-day waiting on the "
        f"ready poll** (${ready_day * MONTH:.2f} a month: {readies_a_day:,.0f} API and SQS requests a day, "
        f"{authorizer_calls_a_day:.0f} authorizer calls); **${take_day:.3f} per idle pack-day long-polling the take** "
        f"as flyte-client does (${take_day * MONTH:.2f} a month: a take held {wait} s at {take_gb * 1024:.0f} MB, then "
        f"{FLYTE_CLIENT_PAUSE} s of the client's own pause; ${take_lambda_day:.3f} of it is Lambda time); "
        f"**${short_take_day:.3f}** with `TakeWaitSeconds=0` (${short_take_day * MONTH:.2f} a month: the take answers at "
        f"once and the client polls every {FLYTE_CLIENT_PAUSE} s, so an action waits up to {FLYTE_CLIENT_PAUSE} s for "
        "its pack); $0 per idle push pack-day.",
        "",
        "| scale | a month, SDK packs (ready poll) | a month, flyte-client packs (take long poll) "
        "| a month, flyte-client packs, TakeWaitSeconds=0 | first AWS quota it meets (ready poll) |",
        "|---|---|---|---|---|",
    ]
    for scale in SCALES:
        ready_month = MONTH * (scale.packs * ready_day + scale.events_per_second * DAY * event_cost)
        take_month = MONTH * (scale.packs * take_day + scale.events_per_second * DAY * take_event_cost)
        short_take_month = MONTH * (scale.packs * short_take_day + scale.events_per_second * DAY * take_event_cost)
        lines.append(
            f"| {scale.name} | ${ready_month:,.0f} | ${take_month:,.0f} | ${short_take_month:,.0f} | "
            f"{first_quota(scale, per_event, READY_WAIT, route_rate, parked=False)} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def hot_key_line(run_counts: Counter, stack_tables: dict[str, str]) -> str:
    """One flow at 1,000 executions a second: the writes a second on one key of its by-flow index. The
    quick-start run is one execution; byFlow took every write of an action (its sort key, stateTime,
    changes at each), byFlowShard takes its creation only, over FLOW_SHARDS keys."""
    from flyte_core.adapters.actions_table import FLOW_SHARDS
    from flyte_core.adapters.indexes import TIME_SHARDS

    writes = list(item_writes(run_counts, stack_tables))
    creates = sum(n for kind, table, names, n in writes if table == "ActionsTable" and kind == "Put" and "flowShard" in names)
    changes = sum(n for kind, table, names, n in writes if table == "ActionsTable" and kind == "Update" and "stateTime" in names)
    return (
        f"One flow at 1,000 executions a second (the quick start's: {creates:.0f} actions created, {changes:.0f} claims and "
        f"finishes each): byFlow took {(creates + changes) * 1000:,.0f} writes a second on one key; byFlowShard takes "
        f"{creates * 1000 / FLOW_SHARDS:,.0f} on each of its {FLOW_SHARDS} keys (a key takes {DYNAMODB_KEY_WRITES:,}). "
        f"1,000 executions a second over all flows: byTime (the audit list, its entry moved at each change) takes "
        f"{(creates + 2 * changes) * 1000 / TIME_SHARDS:,.0f} on each of its {TIME_SHARDS} keys."
    )


def hot_pack_line(run_counts: Counter, stack_tables: dict[str, str], events: int, trace_size: float) -> str:
    """One pack posting 1,000 events a second: the write units a second on one key of its by-pack
    index. byPack took the event's put and the trace written back onto it (the whole item copied,
    a unit per KB); byPackShard takes the put only (keys and name, 1 unit), over PACK_SHARDS keys."""
    from flyte_core.adapters.events_table import PACK_SHARDS

    writes = list(item_writes(run_counts, stack_tables))
    puts = sum(n for kind, table, names, n in writes if table == "EventsTable" and kind == "Put" and "packShard" in names)
    updates = sum(n for kind, table, _, n in writes if table == "EventsTable" and kind == "Update")
    traces = sum(n for kind, table, names, n in writes if table == "ActionsTable" and kind == "Put" and "eventId" in names)
    copy = math.ceil(trace_size / 1024) + 1  # the event with its trace, in KB
    return (
        f"One pack at 1,000 events a second (per event: {puts / events:.0f} put, {updates / events:.0f} updates; "
        f"{traces / events:.0f} trace record of {trace_size / 1024:.1f} KB in the actions table, in no index): byPack "
        f"took the put and the trace's copy, {1 + copy} units, {(1 + copy) * 1000:,} write units a second on one key; "
        f"byPackShard takes {puts / events * 1000 / PACK_SHARDS:,.0f} on each of its {PACK_SHARDS} keys (a key takes "
        f"{DYNAMODB_KEY_WRITES:,}; the pack's results, as many again)."
    )


def first_quota(scale: Scale, per_event: dict, wait: int, route_rate: int, parked: bool = True) -> str:
    """The AWS quota reached at the lowest share of itself first, with what reaches it; and the stack's
    own route throttle (ThrottlingRateLimit, a template parameter, not a quota) when it must be raised.
    `parked`: each idle pack holds a function (the take long poll) or none (the ready poll)."""
    takes_per_second = scale.packs / wait + scale.events_per_second * per_event["api"] / 3
    concurrency = (scale.packs if parked else 0) + scale.burst_per_second * per_event["invocations"] * REQUEST_SECONDS
    environments = concurrency  # roughly one environment per concurrent execution
    checks = [
        (concurrency / LAMBDA_CONCURRENCY, f"Lambda concurrency ({concurrency:,.0f} of {LAMBDA_CONCURRENCY:,} at once)"),
        (
            environments / 52.5 / SSM_GET_PARAMETER_TPS,
            f"SSM GetParameter with auth on ({environments / 52.5:,.0f}/s of {SSM_GET_PARAMETER_TPS})",
        ),
        (
            scale.burst_per_second * per_event["writes"] / DYNAMODB_NEW_TABLE_WRITES,
            f"a new on-demand table's write throughput ({scale.burst_per_second * per_event['writes']:,.0f} of "
            f"{DYNAMODB_NEW_TABLE_WRITES:,} units/s)",
        ),
    ]
    share, what = max(checks)
    found = what if share >= 1 else f"none (the nearest: {what}, {share:.0%})"
    if takes_per_second > route_rate:
        route = "take" if parked else "ready"
        found += (
            f"; raise ThrottlingRateLimit first ({takes_per_second:,.0f} requests/s on the {route} route, default {route_rate})"
        )
    return found


def stack_table_ids(stack: LocalStack) -> dict[str, str]:
    return {physical: logical for logical, physical in stack.app.table_names.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--print", action="store_true", help="print the table instead of writing docs/scale.md")
    args = parser.parse_args()
    with LocalStack(port=0, parameter_overrides={"LogLevel": "WARNING"}, count_aws_requests=True) as stack:
        measured = measure(stack)
        table = render(measured, stack_table_ids(stack))
    if args.print:
        print(table)
        return
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + table + text[end:], encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
