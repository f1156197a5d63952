"""Schedules kept where they fire: EventBridge Scheduler schedules in the stack's own schedule group
(issue 22), each invoking the schedule-firing function with an input that carries the whole Flyte
schedule. No table of our own, so what the API shows is what fires; the IAM policy of the schedules
function names only that group.

The target input is JSON with EventBridge Scheduler's context attribute `<aws.scheduler.scheduled-time>`,
which it replaces with the firing's scheduled time on every invocation (the local stack does the same).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..domain import schedules, times
from ..domain.errors import NotFound, StateConflict, Unavailable

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
MAX_RETRY_ATTEMPTS = 185  # EventBridge Scheduler's most


def target_input(schedule: schedules.Schedule) -> str:
    document: dict[str, Any] = {
        "flyte": "schedule",
        "schedule": schedule.name,
        "expression": schedule.expression.text,
        "timezone": schedule.timezone,
        "missed": schedule.missed,
        "payload": schedule.payload,
        "description": schedule.description,
        "builtin": schedule.builtin,
        "scheduledTime": SCHEDULED_TIME,
    }
    if schedule.start is not None:
        document["start"] = times.format_time(schedule.start)
    return json.dumps(document, separators=(",", ":"))


def from_input(
    document: dict[str, Any], enabled: bool, created: datetime | None = None, updated: datetime | None = None
) -> schedules.Schedule:
    """The schedule a target input holds (as the firing function and GET read it)."""
    start = document.get("start")
    return schedules.Schedule(
        name=document["schedule"],
        expression=schedules.parse_expression(document["expression"]),
        timezone=document.get("timezone") or "UTC",
        payload=document.get("payload"),
        enabled=enabled,
        missed=document.get("missed") or "fire",
        description=document.get("description") or "",
        start=times.parse_time(start) if start else None,
        created_at=created,
        updated_at=updated,
        builtin=bool(document.get("builtin")),
    )


class ScheduleStore:
    def __init__(self, client: Any, group: str, target_arn: str, role_arn: str) -> None:
        self._client = client
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn

    def _check(self) -> None:
        if not (self.group and self.target_arn and self.role_arn):
            raise Unavailable(
                "This deployment has no schedule group (FLYTE_SCHEDULE_GROUP, FLYTE_SCHEDULE_TARGET_ARN and "
                "FLYTE_SCHEDULE_ROLE_ARN are set by template.yaml on the schedules function)."
            )

    def _arguments(self, schedule: schedules.Schedule) -> dict[str, Any]:
        limit = schedules.SKIP_AFTER if schedule.missed == "skip" else schedules.FIRE_LATE_FOR
        arguments: dict[str, Any] = {
            "Name": schedule.name,
            "GroupName": self.group,
            "ScheduleExpression": schedule.expression.aws,
            "ScheduleExpressionTimezone": schedule.timezone,
            "State": "ENABLED" if schedule.enabled else "DISABLED",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Description": (schedule.description or f"Flyte schedule {schedule.name}")[:512],
            "Target": {
                "Arn": self.target_arn,
                "RoleArn": self.role_arn,
                "Input": target_input(schedule),
                "RetryPolicy": {
                    "MaximumEventAgeInSeconds": int(limit.total_seconds()),
                    "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
                },
            },
        }
        if schedule.start is not None:
            arguments["StartDate"] = schedule.start
        return arguments

    def put(self, schedule: schedules.Schedule, create_only: bool = False) -> bool:
        """Create or replace the schedule; True when it was created. StateConflict with create_only
        when it exists."""
        self._check()
        arguments = self._arguments(schedule)
        try:
            self._client.create_schedule(**arguments)
            return True
        except self._client.exceptions.ConflictException:
            if create_only:
                raise StateConflict(
                    f"Schedule {schedule.name!r} exists; PUT /v1/schedules/{schedule.name} replaces it."
                ) from None
        self._client.update_schedule(**arguments)
        return False

    def get(self, name: str) -> schedules.Schedule | None:
        self._check()
        try:
            found = self._client.get_schedule(Name=name, GroupName=self.group)
        except self._client.exceptions.ResourceNotFoundException:
            return None
        return self._schedule(found)

    def _schedule(self, found: dict[str, Any]) -> schedules.Schedule | None:
        try:
            document = json.loads(found.get("Target", {}).get("Input") or "{}")
        except ValueError:
            return None
        if document.get("flyte") != "schedule":
            return None  # not one of ours (made by hand in the group)
        return from_input(document, found.get("State") == "ENABLED", found.get("CreationDate"), found.get("LastModificationDate"))

    def all(self) -> list[schedules.Schedule]:
        self._check()
        names: list[str] = []
        for page in self._client.get_paginator("list_schedules").paginate(GroupName=self.group):
            names.extend(item["Name"] for item in page.get("Schedules", []))
        result = []
        for name in sorted(names):
            schedule = self.get(name)
            if schedule is not None:
                result.append(schedule)
        return result

    def delete(self, name: str) -> None:
        self._check()
        try:
            self._client.delete_schedule(Name=name, GroupName=self.group)
        except self._client.exceptions.ResourceNotFoundException:
            raise NotFound(f"No schedule {name!r}.") from None
