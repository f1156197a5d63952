"""moto's server in a process of its own, answering HTTP/1.1 with keep-alive.

Its own process gives it its own interpreter lock, so the AWS the functions call does not compete
with the gateway and the stream pollers; keep-alive (with TCP_NODELAY) spares every AWS call a new connection and
thread (moto's ThreadedMotoServer speaks HTTP/1.0). `python -m flyte_local.moto_server` prints
`listening on PORT` once it accepts connections.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any


def one_dynamodb_request_at_a_time(app: Callable) -> Callable:
    """moto's DynamoDB is not safe under concurrent requests (transactions iterate dicts that other
    writes change). DynamoDB calls never block, so running them one at a time costs little; SQS
    calls (whose long polls do block) stay concurrent."""
    lock = threading.Lock()

    def serialised(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith(("DynamoDB_", "DynamoDBStreams_")):
            with lock:
                return list(app(environ, start_response))
        return app(environ, start_response)

    return serialised


def item_level_transaction_rollback() -> None:
    """moto backs up every table a transaction touches with a deep copy, stream records included, on
    every TransactWriteItems: each transaction then costs time and memory in proportion to the whole
    table, and a long local session runs out of memory. Back up only the items the transaction
    touches, and the length of each table's stream, and restore those when it fails."""
    import copy
    import types

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    dynamodb_models.copy = types.SimpleNamespace(  # type: ignore[assignment]  # moto's module sees only these two
        copy=copy.copy, deepcopy=lambda value, memo=None: value if isinstance(value, Table) else copy.deepcopy(value, memo)
    )
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def stored(table: Table, hash_value: Any, range_value: Any) -> Any:
        found = table.items.get(hash_value)
        return found.get(range_value) if table.range_key_attr and found is not None else found

    def restore(table: Table, hash_value: Any, range_value: Any, item: Any) -> None:
        if table.range_key_attr:
            if item is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
        elif item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName"))
            key = operation.get("Key") or operation.get("Item") or {}
            if table is None or table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            saved.append(
                (
                    table,
                    hash_value,
                    range_value,
                    copy.deepcopy(stored(table, hash_value, range_value)),
                    len(table.stream_shard.items) if table.stream_shard else 0,
                )
            )
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item, stream_length in reversed(saved):
                restore(table, hash_value, range_value, item)
                if table.stream_shard:
                    del table.stream_shard.items[stream_length:]
            raise

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]  # patched


def key_queries_read_their_partition() -> None:
    """moto answers every Query by sorting and filtering all the items of the table, so a query on
    the table's own key costs in proportion to the table. DynamoDB reads just the key's partition;
    do the same for key queries (index queries keep moto's way)."""
    import inspect

    from moto.dynamodb.models.table import Table

    original_query, original_all_items = Table.query, Table.all_items
    signature = inspect.signature(original_query)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = signature.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
        if index_name or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        self._partition_only = hash_key  # type: ignore[attr-defined]  # a marker of ours; DynamoDB calls run one at a time (above), so this is safe
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            del self._partition_only  # type: ignore[attr-defined]

    def all_items(self: Table) -> list:
        partition_key = getattr(self, "_partition_only", None)
        if partition_key is None:
            return original_all_items(self)
        partition = self.items.get(partition_key)
        if partition is None:
            return []
        items = list(partition.values()) if self.range_key_attr else [partition]
        return sorted(items, key=lambda item: (item.hash_key, item.range_key) if item.range_key else item.hash_key)

    Table.query, Table.all_items = query, all_items  # type: ignore[method-assign]  # patched


def per_request_lookups_once() -> None:
    """moto works out on every request which service it is for, by listing its own package folder
    and trying the host against every service's URL patterns, and which actions a response class
    has, by inspecting the class: the same answers each time, about a fifth of a request's CPU
    (issue 28). Work each out once."""
    import functools

    from moto import backends
    from moto.core import responses
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # patched
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)  # patched
    backend_for_host = functools.cache(DomainDispatcherApplication.get_backend_for_host)  # its caller holds the app's lock
    DomainDispatcherApplication.get_backend_for_host = backend_for_host  # type: ignore[method-assign]  # patched


def attribute_values_written_as_they_are() -> None:
    """moto writes every response through a serializer that walks the service's output shape and,
    for each member of each structure, tries half a dozen spellings of its name on the value. An
    item's attribute value is a structure of ten members of which one is set, so items cost 60
    lookups per attribute: two fifths of the server's DynamoDB CPU (issue 28). moto has already
    made each attribute value its wire form but for binary ({"S": "x"}, {"B": b"..."}); write
    it as it is, base64 for binary, as the serializer would have."""
    from moto.core.serialize import BaseJSONSerializer

    original = BaseJSONSerializer._serialize_type_structure

    def wire(value: dict[str, Any], base64: Callable[[Any], str]) -> dict[str, Any]:
        ((kind, inner),) = value.items()
        if kind == "M":
            return {kind: {name: wire(member, base64) for name, member in inner.items()}}
        if kind == "L":
            return {kind: [wire(member, base64) for member in inner]}
        if kind == "B":
            return {kind: base64(inner)}
        if kind == "BS":
            return {kind: [base64(member) for member in inner]}
        if kind in ("S", "N"):
            return {kind: str(inner)}
        if kind in ("SS", "NS"):
            return {kind: [str(member) for member in inner]}
        return {kind: inner}  # NULL, BOOL

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and isinstance(value, dict)
            and len(value) == 1
            and self.operation_model.service_model.service_name in ("dynamodb", "dynamodbstreams")
        ):
            self._default_serialize(serialized, wire(value, self._base64), shape, key)
        else:
            original(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = serialize_structure  # type: ignore[method-assign]  # patched


def out_of_debug_mode(create_backend_app: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """moto makes each service's Flask app with debug on. Flask then builds a new class for every
    request's form (flask.debughelpers.attach_enctype_error_multidict), among other debug-only work:
    about a tenth of a request's CPU here (bench/bench_local_moto.py). moto's own errors are HTTP
    errors, answered the same either way."""

    def create(service: Any) -> Any:  # a literal of moto's service names
        app = create_backend_app(service)
        app.debug = False
        return app

    return create


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    # Ctrl-C reaches the whole process group; the local stack ends this server itself (SIGTERM) once
    # its pollers and functions have stopped, so they never see the endpoint vanish under them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class KeepAliveHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each response's second write waits for a delayed ACK

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if access_log.isEnabledFor(logging.INFO):  # werkzeug formats the line before its logger decides
                super().log_request(code, size)

    access_log = logging.getLogger("werkzeug")
    access_log.setLevel(logging.WARNING)  # moto's per-request access log
    per_request_lookups_once()
    attribute_values_written_as_they_are()
    item_level_transaction_rollback()
    key_queries_read_their_partition()
    server = make_server(
        args.host,
        args.port,
        one_dynamodb_request_at_a_time(DomainDispatcherApplication(out_of_debug_mode(create_backend_app))),
        threaded=True,
        request_handler=KeepAliveHandler,
    )
    server.daemon_threads = True  # type: ignore[attr-defined]  # threaded=True makes a ThreadingMixIn server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
