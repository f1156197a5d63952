"""Push delivery (issue 20): the second way an action reaches a pack, on the same state machine.

A push pack registers a delivery URL and has no queue of its own; its actions go to the shared
delivery queue, and the delivery function takes each message through `handle`:

- the action is claimed exactly as a take claims it (NEW -> PENDING, one attempt, a lease; an
  expired lease claimed again as the next attempt; FATAL after the last), by the caller
  `{iss: urn:flyte:delivery, sub: <pack id>}`;
- then POSTed, signed, to the pack. 200 with a result completes it through the path a posted result
  takes (`pipeline.complete`: a second result is the same 409); 202 leaves it PENDING for the pack to
  post the result to its link within the lease (the message comes back when the lease ends, as a
  long-polling pack's queue message does); 410 unregisters the pack; anything else, a timeout or a
  connection error gives the lease back after a backoff and the next attempt follows, until the
  last one ends the action FATAL with the reason.

Delivery is at least once (a message may come twice, a pack may time out after doing the work) and
completion at most once (the conditional state change).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from .. import observability
from ..adapters import Adapters
from ..adapters.delivery_queue import DeliveryMessage, parse_message, parse_timer
from ..domain import delivery as rules
from ..domain import times
from ..domain.actions import TERMINAL, Action
from ..domain.callers import Caller
from ..domain.errors import StateConflict
from ..domain.events import FATAL, new_event
from ..domain.links import link, segment
from ..domain.packs import Delivery, Pack, labels_include, pack_url
from ..observability import logger
from . import pipeline

DELIVERY_ISSUER = "urn:flyte:delivery"
RESULT_REL = "swagger#/actionResult"
PARALLEL_DELIVERIES = 10  # a batch's messages are delivered at once: a slow pack delays no other


def caller_for(pack: Pack) -> Caller:
    """Who claims and completes a pushed action: the delivery, on behalf of the pack."""
    return Caller(issuer=DELIVERY_ISSUER, subject=pack.id)


# --- registration ----------------------------------------------------------------------------------


def prepare(adapters: Adapters, pack: Pack, wanted: rules.Registration, base: str, previous: Pack | None) -> None:
    """Give a registering pack its delivery: the secret it sent, or the one it had for the same URL
    (a registration again without a secret keeps it), or a new one shown once in the 201."""
    if wanted.secret is None and previous and previous.delivery and previous.delivery.url == wanted.url:
        pack.delivery = Delivery(wanted.url, previous.delivery.sealed_secret, base)
        return
    secret = wanted.secret or secrets.token_urlsafe(32)
    sealed = adapters.delivery_secrets.seal(pack.id, secret)
    pack.delivery = Delivery(wanted.url, sealed, base, new_secret=None if wanted.secret else secret)


def offer(adapters: Adapters, pack: Pack, action_ids: list[str]) -> None:
    """Queue deliveries of these actions to a push pack."""
    adapters.delivery_queue.send_many(pack.id, action_ids)


# --- the delivery function -------------------------------------------------------------------------------


def handle_batch(adapters: Adapters, records: Iterable[tuple[str, str, str]]) -> list[str]:
    """(message id, body, receipt) of an SQS batch -> the ids of the messages to keep (reported as
    batch item failures, so the event source leaves them in the queue, hidden as `handle` chose)."""
    records = list(records)

    def one(record: tuple[str, str, str]) -> str | None:
        message_id, body, receipt = record
        timer = parse_timer(body)
        if timer is not None:  # issue 27: an approval's timer shares the queue
            return _approval_timer(adapters, message_id, timer, receipt)
        message = parse_message(body, receipt)
        if message is None:
            return None
        try:
            return None if handle(adapters, message) else message_id
        except Exception:  # this message only: it comes back after the queue's visibility timeout
            logger.exception("delivery failed unexpectedly", extra={"actionId": message.action_id, "packId": message.pack_id})
            return message_id

    if len(records) == 1:
        kept = [one(records[0])]
    else:
        with ThreadPoolExecutor(min(PARALLEL_DELIVERIES, len(records))) as pool:
            kept = list(pool.map(one, records))
    return [message_id for message_id in kept if message_id]


def _approval_timer(adapters: Adapters, message_id: str, action_id: str, receipt: str) -> str | None:
    """End the approval `expired` when due; else keep the message hidden until it is."""
    from . import approvals  # the delivery of actions needs none of it

    try:
        remaining = approvals.due(adapters, action_id)
    except Exception:  # this message only: it comes back after the queue's visibility timeout
        logger.exception("approval timer failed unexpectedly", extra={"actionId": action_id})
        return message_id
    if remaining <= 0:
        return None
    adapters.delivery_queue.hide(receipt, remaining + 1)
    return message_id


def handle(adapters: Adapters, message: DeliveryMessage) -> bool:
    """Deliver one message's action; True when the message is done with, False to keep it (it is
    then hidden until the lease ends or the backoff passes)."""
    action = adapters.actions_table.get(message.action_id)
    if action is None or action.state in TERMINAL:
        return True
    pack = adapters.packs_table.get(message.pack_id)
    if (
        pack is None
        or pack.delivery is None
        or pack.name != action.pack_name
        or not labels_include(pack.labels, action.pack_labels)
    ):
        # unregistered (or long-polling now) meanwhile: the action waits for the next matching pack
        logger.info("delivery dropped: no such push pack now", extra={"actionId": action.id, "packId": message.pack_id})
        return True
    secret = adapters.delivery_secrets.open(pack.id, pack.delivery.sealed_secret)  # before the claim: a failure burns no attempt
    claimed, done = _claim(adapters, pack, action, message)
    if claimed is None:
        return done
    if claimed.secret_refs:  # issue 24: the values go into this request only
        from . import secrets  # only actions that reference secrets read them

        try:
            claimed = replace(claimed, input=secrets.reveal(adapters, pack, claimed))
        except secrets.SecretRefused:
            return True  # the action has ended FATAL with the reason
    return _deliver(adapters, pack, claimed, message, secret)


def _claim(adapters: Adapters, pack: Pack, action: Action, message: DeliveryMessage) -> tuple[Action | None, bool]:
    """(the action, claimed for one more attempt) or (None, whether the message is done with)."""
    taker = caller_for(pack).record()
    queue = adapters.delivery_queue.url
    if action.state == "NEW":
        won, current = adapters.actions_table.claim(action.id, pack.id, queue, message.receipt, taker)
        if won:
            return current, False
        if current is None or current.state in TERMINAL:
            return None, True
        action = current
    now = times.now()
    if action.lease_expires_at and action.lease_expires_at > now:
        # held: by this pack's answer 202, or a duplicate message's attempt; look again when the lease ends
        adapters.delivery_queue.hide(message.receipt, (action.lease_expires_at - now).total_seconds() + 1)
        return None, False
    if action.attempts >= adapters.settings.action_max_attempts:
        pipeline.expire(adapters, action, pack.id)
        return None, True
    won, claimed = adapters.actions_table.claim(action.id, pack.id, queue, message.receipt, taker, expired=action)
    if won:
        return claimed, False
    return None, True  # another attempt began meanwhile; its message settles the action


def _deliver(adapters: Adapters, pack: Pack, action: Action, message: DeliveryMessage, secret: str) -> bool:
    assert pack.delivery is not None  # handle() delivers to push packs only
    url, base = pack.delivery.url, pack.delivery.api_base
    result_link = link(f"{pack_url(base, pack.id)}/actions/{segment(action.id)}/result", base + RESULT_REL)
    body = rules.request_body(action.id, action.name, action.input, result_link)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "flyte-delivery/1",
        rules.TIMESTAMP_HEADER: timestamp,
        rules.SIGNATURE_HEADER: rules.signature(secret, timestamp, body),
        rules.ACTION_HEADER: action.id,
        rules.ATTEMPT_HEADER: str(action.attempts),
    }
    where = {"actionId": action.id, "packId": pack.id, "attempt": action.attempts, "url": rules.shown_url(url)}
    started = time.monotonic()
    logger.info("delivering an action", extra=where)
    answer = adapters.pack_endpoints.post(url, body, headers)
    outcome = rules.outcome(answer)
    seconds = round(time.monotonic() - started, 3)
    observability.record_delivery(pack.name, failed=False)
    if answer.status is not None:
        adapters.packs_table.touch(pack.id, times.now())  # the pack answered: it is alive
    if isinstance(outcome, rules.Completed):
        try:
            pipeline.complete(
                adapters, pack, action.id, outcome.event, outcome.payload, outcome.created_at, caller=caller_for(pack)
            )
        except StateConflict:
            logger.info("the action had ended meanwhile; this answer is not its result", extra=where)
        logger.info("delivered and completed", extra={**where, "seconds": seconds, "event": outcome.event})
        return True
    if isinstance(outcome, rules.Later):
        logger.info("delivered; the pack posts the result later", extra={**where, "seconds": seconds})
        adapters.delivery_queue.hide(message.receipt, adapters.settings.action_lease_seconds)
        return False
    if isinstance(outcome, rules.Gone):
        from . import registry  # registry loads this module for registrations; import it only when needed

        logger.warning("the pack answered 410 Gone: unregistering it", extra=where)
        registry.unregister(adapters, pack.id)
        adapters.delivery_leases.release(action.id, action.attempts, times.now())  # offered to the next such pack at once
        return True
    observability.record_delivery(pack.name, failed=True)
    if action.attempts >= adapters.settings.action_max_attempts:
        give_up(adapters, action, pack, rules.failure_reason(url, action.attempts, outcome.reason))
        return True
    delay = rules.backoff_seconds(action.attempts, adapters.settings.action_lease_seconds)
    logger.warning("delivery failed; retrying", extra={**where, "seconds": seconds, "reason": outcome.reason, "retryIn": delay})
    adapters.delivery_leases.release(action.id, action.attempts, times.now() + timedelta(seconds=delay))
    adapters.delivery_queue.hide(message.receipt, delay)
    return False


def give_up(adapters: Adapters, action: Action, pack: Pack, reason: str) -> None:
    """End an action whose last delivery failed: FATAL with the reason, continuing the flow, as an
    action whose last lease expired ends."""
    result = new_event(FATAL, pack.id, action.pack_name, action.pack_labels, reason, action_id=action.id)
    try:
        adapters.actions_table.finish(action, result)
        logger.warning(
            "delivery gave up: action FATAL", extra={"actionId": action.id, "attempts": action.attempts, "reason": reason}
        )
    except StateConflict:
        return  # a result arrived meanwhile
    pipeline.record_finished(action, FATAL)
