"""The AWS the local stack runs on: a moto server of its own (or an endpoint the user names),
with the template's tables and queues created from their own resource definitions."""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .application import REGION, ROOT, Application

log = logging.getLogger("flyte_local")

_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput")
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


# Clients by (endpoint, service, region), shared by every Backend of the process (a boto3 client is
# thread-safe once made), all made from one session under a lock: a client made from a fresh session
# reads botocore's service data again, 70 ms of CPU, and each local stack's start made six or seven.
_CLIENTS: dict[tuple[str, str, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()


@functools.cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


def _pythonpath() -> str:
    return os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)


class Backend:
    """Owns the endpoint every handler and test client talks to."""

    def __init__(self, endpoint: str | None = None, port: int = 0) -> None:
        self._server = None
        if endpoint is None:
            self._server = subprocess.Popen(
                [sys.executable, "-m", "flyte_local.moto_server", "--port", str(port)],
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": _pythonpath()},
            )
            assert self._server.stdout is not None  # stdout=PIPE
            line = self._server.stdout.readline()
            if not line.startswith("listening on "):
                self._server.kill()
                raise RuntimeError(f"moto did not start: {line!r}")
            endpoint = f"http://127.0.0.1:{int(line.split()[-1])}"
            atexit.register(self.stop)
        self.endpoint = endpoint

    def client(self, service: str) -> Any:
        """A client of the backend, made once per process (see _CLIENTS)."""
        key = (self.endpoint, service, os.environ.get("AWS_REGION", REGION))
        with _CLIENTS_LOCK:
            if key not in _CLIENTS:
                _CLIENTS[key] = _session().client(service, region_name=key[2], endpoint_url=self.endpoint)
            return _CLIENTS[key]

    def create_resources(self, app: Application) -> None:
        create_resources(app, self.client)

    def reset(self) -> None:
        """Forget every table, queue and item (moto only): a clean slate for the next test."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"), timeout=10).read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.terminate()
            self._server.wait(timeout=10)
            self._server = None


def create_resources(app: Application, client: Any) -> None:
    """Create the template's tables and queues from their own resource properties."""
    for logical_id, props in app.tables.items():
        _create_table(client("dynamodb"), app.table_names[logical_id], props)
    for logical_id, props in app.queues.items():
        _create_queue(client("sqs"), app.queue_names[logical_id], props)
    for name, props in app.ssm_parameters.items():
        client("ssm").put_parameter(Name=name, Value=props["Value"], Type=props.get("Type", "String"), Overwrite=True)
    for name, props in app.secrets.items():
        _create_secret(client("secretsmanager"), name, props)
    for group in app.schedule_groups:
        try:
            client("scheduler").create_schedule_group(Name=group)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConflictException":
                raise


def _create_secret(secretsmanager: Any, name: str, props: dict[str, Any]) -> None:
    """A secret with its generated string, as Secrets Manager makes it from GenerateSecretString."""
    generate = props.get("GenerateSecretString") or {}
    value = props.get("SecretString")
    if value is None:
        generated = secrets.token_urlsafe(48)[: int(generate.get("PasswordLength", 32))]
        if generate.get("GenerateStringKey"):
            document = json.loads(generate.get("SecretStringTemplate") or "{}")
            document[generate["GenerateStringKey"]] = generated
            value = json.dumps(document)
        else:
            value = generated
    try:
        secretsmanager.create_secret(Name=name, SecretString=value)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceExistsException":
            raise


def _create_table(dynamodb: Any, name: str, props: dict[str, Any]) -> None:
    args: dict[str, Any] = {key: props[key] for key in _TABLE_KEYS if key in props}
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(index_kind):
            args[index_kind] = [
                {
                    key: value
                    for key, value in index.items()
                    if key in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                }
                for index in props[index_kind]
            ]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": props["StreamSpecification"]["StreamViewType"]}
    try:
        dynamodb.create_table(TableName=name, **args)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
        log.info("table %s already exists", name)
        return
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )


def _create_queue(sqs: Any, name: str, props: dict[str, Any]) -> None:
    attributes = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in _QUEUE_ATTRIBUTES
        if key in props
    }
    if props.get("RedrivePolicy"):
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    sqs.create_queue(QueueName=name, Attributes=attributes)
