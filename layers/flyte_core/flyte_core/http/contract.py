"""The HTTP contract of each operation beyond what its route declares: parameters with their bounds,
request bodies with their schemas, every status it answers with the schema of each body, and the
content types served.

Handlers keep declaring path, summary, tag and operationId (Powertools); `flyte_local.openapi`
merges `OPERATIONS` into Powertools' document by operationId (`make openapi`), a test checks the
committed document, and the suite fuzzes the served one with schemathesis. Schemas and bounds come
from the rules that enforce them (the flow schema, the audit and take limits, problem bodies).
"""

from __future__ import annotations

import copy
from typing import Any

from ..domain.actions import MAX_TAKE_WAIT_SECONDS
from ..domain.audit import DEFAULT_LIMIT, MAX_LIMIT
from ..domain.bounds import MAX_DOCUMENT_BYTES, MAX_RESPONSE_BYTES
from ..domain.datastore import ITEM_CONTENT_SECURITY_POLICY, MAX_VALUE_BYTES
from ..domain.delivery import MAX_SECRET_CHARACTERS, MIN_SECRET_CHARACTERS
from ..domain.flows import FLOW_SCHEMA
from .problems import PROBLEM_CONTENT_TYPE, STATUS
from .web import YAML_TYPE

JSON_TYPE = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_LINK = {"type": "object", "required": ["href", "rel"], "properties": {"href": {"type": "string"}, "rel": {"type": "string"}}}
_LINKS = {"type": "array", "items": _ref("Link")}


def _flow_schema() -> dict[str, Any]:
    """The schema flows are validated with, as an OpenAPI 3.1 (JSON Schema 2020-12) schema."""
    schema = copy.deepcopy(FLOW_SCHEMA)
    schema.pop("$schema", None)
    return schema


SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "description": "RFC 9457 problem details; `field`, `stepId`, `line`, `column` locate what is wrong where they apply.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string"},
            "stepId": {"type": "string"},
            "line": {"type": "integer", "minimum": 1},
            "column": {"type": "integer", "minimum": 1},
        },
    },
    "Link": _LINK,
    "Links": {"type": "object", "required": ["links"], "properties": {"links": _LINKS}},
    "V1": {
        "type": "object",
        "required": ["links"],
        "properties": {
            "links": _LINKS,
            "version": {"type": "string", "description": "the release serving the API (CHANGELOG.md); not in the original"},
        },
    },
    "PackRegistration": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "pattern": "\\S"},
            "labels": _STRING_MAP,
            "links": _LINKS,
            "commands": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "events": {"type": "array", "items": {"type": "string"}},
                        "links": _LINKS,
                    },
                },
            },
            "events": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "links": _LINKS}}},
            "delivery": {
                "type": "object",
                "description": "Push delivery (issue 20): the pack's actions are POSTed, signed, to `url` instead of "
                "waiting to be taken. `secret` (the HMAC key, 16-256 printable ASCII characters) is made by the "
                "engine when left out, and shown once in the 201.",
                "required": ["url"],
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string", "description": "https (plain http only to loopback on the local stack)"},
                    "secret": {"type": "string", "minLength": MIN_SECRET_CHARACTERS, "maxLength": MAX_SECRET_CHARACTERS},
                },
            },
        },
    },
    "Pack": {
        "type": "object",
        "required": ["id", "name", "lastSeen", "links"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "labels": _STRING_MAP,
            "commands": {"type": "array", "items": {"type": "object"}},
            "events": {"type": "array", "items": {"type": "object"}},
            "lastSeen": {"type": "string"},
            "delivery": {
                "type": "object",
                "description": "a push pack's delivery URL; `secret` only in the 201 of the registration that made it",
                "required": ["url"],
                "properties": {"url": {"type": "string"}, "secret": {"type": "string"}},
            },
            "links": _LINKS,
        },
    },
    "PackList": {
        "type": "object",
        "required": ["packs", "links"],
        "properties": {
            "links": _LINKS,
            "packs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "lastSeen", "status", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "labels": _STRING_MAP,
                        "lastSeen": {"type": "string"},
                        "status": {"type": "string"},
                        "links": _LINKS,
                    },
                },
            },
        },
    },
    "TestRequest": {"type": "object", "description": "a dry run's or replay's request (see the README's explainability section)"},
    "PostedEvent": {
        "type": "object",
        "description": "An event or an action's result; a `pack` key is ignored (the sender is the pack in the URL).",
        "properties": {"event": {"type": "string"}, "payload": {}, "createdAt": {"type": "string", "format": "date-time"}},
    },
    "TakenAction": {
        "type": "object",
        "required": ["command", "input", "links"],
        "properties": {"command": {"type": "string"}, "input": {}, "links": _LINKS},
    },
    "Flow": _flow_schema(),
    "FlowRepresentation": {
        "allOf": [_ref("Flow")],
        "type": "object",
        "required": ["links"],
        "properties": {"links": _LINKS},
    },
    "FlowList": {
        "type": "object",
        "required": ["flows", "links"],
        "properties": {
            "links": _LINKS,
            "flows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "links"],
                    "properties": {"name": {"type": "string"}, "description": {"type": "string"}, "links": _LINKS},
                },
            },
        },
    },
    "RevocationRequest": {
        "type": "object",
        "description": "one token (`jti`), or every token of a subject issued until now (`sub`, optionally for one `iss`)",
        "properties": {
            "jti": {"type": "string"},
            "sub": {"type": "string"},
            "iss": {"type": "string"},
            "reason": {"type": "string", "maxLength": 500},
        },
        "additionalProperties": False,
    },
    "Revocation": {
        "type": "object",
        "required": ["id", "revokedAt", "revokedBy", "expiresAt", "links"],
        "properties": {
            "id": {"type": "string"},
            "jti": {"type": "string"},
            "sub": {"type": "string"},
            "iss": {"type": "string"},
            "reason": {"type": "string"},
            "revokedAt": {"type": "string", "format": "date-time"},
            "revokedBy": _STRING_MAP,
            "expiresAt": {"type": "string", "format": "date-time"},
            "links": _LINKS,
        },
    },
    "SecretRequest": {
        "type": "object",
        "required": ["value"],
        "description": "a secret's value (never shown again), and who may receive it: every constraint given must hold",
        "properties": {
            "value": {"type": "string", "minLength": 1},
            "description": {"type": "string", "maxLength": 300},
            "scope": {
                "type": "object",
                "properties": {
                    "packs": {"type": "array", "items": {"type": "string"}},
                    "labels": _STRING_MAP,
                    "flows": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
    "Secret": {
        "type": "object",
        "required": ["name", "description", "scope", "version", "changedBy", "links"],
        "description": "a secret without its value",
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "scope": {"type": "object"},
            "version": {"type": "integer"},
            "changedBy": _STRING_MAP,
            "changedAt": {"type": ["string", "null"], "format": "date-time"},
            "history": {"type": "array", "items": {"type": "object"}},
            "links": _LINKS,
        },
    },
    # --- schedules (issue 22) ---
    "ScheduleRequest": {
        "type": "object",
        "description": "a schedule: cron(...) with 6 (EventBridge) or 5 (Unix) fields, rate(N minutes|hours|days) or "
        "at(yyyy-mm-ddThh:mm:ss), in an IANA time zone; the built-in Ticker takes only `enabled`",
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", "description": "POST only"},
            "expression": {"type": "string"},
            "timezone": {"type": "string", "default": "UTC"},
            "payload": {"description": "carried by every firing's event"},
            "enabled": {"type": "boolean", "default": True},
            "missed": {"type": "string", "enum": ["fire", "skip"], "default": "fire"},
            "description": {"type": "string", "maxLength": 512},
        },
        "additionalProperties": True,
    },
    "SchedulePreviewRequest": {
        "type": "object",
        "required": ["expression"],
        "properties": {
            "expression": {"type": "string"},
            "timezone": {"type": "string", "default": "UTC"},
            "count": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
        },
    },
    "Schedule": {
        "type": "object",
        "required": ["name", "expression", "timezone", "enabled", "missed", "event", "nextFireTimes", "links"],
        "properties": {
            "name": {"type": "string"},
            "expression": {"type": "string"},
            "timezone": {"type": "string"},
            "enabled": {"type": "boolean"},
            "missed": {"type": "string", "enum": ["fire", "skip"]},
            "payload": {},
            "description": {"type": "string"},
            "builtin": {"type": "boolean"},
            "event": {
                "type": "object",
                "description": "the pack and event name of its firings (what a flow step matches)",
                "properties": {"packName": {"type": "string"}, "name": {"type": "string"}},
            },
            "nextFireTimes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"utc": {"type": "string", "format": "date-time"}, "local": {"type": "string"}},
                },
            },
            "start": {"type": "string", "format": "date-time"},
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
            "links": _LINKS,
        },
    },
    # --- webhooks (issue 22) ---
    "HookRequest": {
        "type": "object",
        "required": ["name", "scheme"],
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
            "scheme": {"type": "string", "enum": ["github", "gitlab", "slack", "hmac", "bearer"]},
            "secret": {"type": "string", "minLength": 16, "maxLength": 256, "description": "left out: the engine makes one"},
            "eventHeader": {"type": "string", "description": "the header naming the event (default by scheme)"},
            "eventField": {"type": "string", "description": "else a dotted field of the JSON body"},
            "defaultEvent": {"type": "string", "description": "else this name"},
            "keepHeaders": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
            "description": {"type": "string", "maxLength": 512},
        },
        "additionalProperties": False,
    },
    "Hook": {
        "type": "object",
        "required": ["name", "scheme", "url", "links"],
        "properties": {
            "name": {"type": "string"},
            "scheme": {"type": "string"},
            "eventHeader": {"type": ["string", "null"]},
            "eventField": {"type": ["string", "null"]},
            "defaultEvent": {"type": "string"},
            "keepHeaders": {"type": "array", "items": {"type": "string"}},
            "description": {"type": "string"},
            "createdAt": {"type": ["string", "null"]},
            "url": {"type": "string", "description": "where the sender posts (paste it into GitHub, GitLab...)"},
            "secret": {"type": "string", "description": "only when just created or rotated: shown once"},
            "links": _LINKS,
        },
    },
    "FlowVersions": {
        "type": "object",
        "required": ["name", "versions", "links"],
        "properties": {
            "name": {"type": "string"},
            "versions": {
                "type": "array",
                "description": "oldest first",
                "items": {
                    "type": "object",
                    "required": ["uuid", "createdAt", "current", "flow"],
                    "properties": {
                        "uuid": {"type": "string", "description": "the version's id (an execution's `uuid` in the audit)"},
                        "createdAt": {"type": "string", "format": "date-time"},
                        "current": {"type": "boolean", "description": "the version GET /v1/flows/{flowName} shows"},
                        "flow": _ref("Flow"),
                    },
                },
            },
            "links": _LINKS,
        },
    },
    "DatastoreUpload": {
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": {"type": "string", "format": "binary", "description": f"at most {MAX_VALUE_BYTES} bytes"},
            "description": {"type": "string"},
        },
    },
    "DatastoreList": {
        "type": "object",
        "required": ["datastore", "links"],
        "properties": {
            "links": _LINKS,
            "datastore": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "contentType", "links"],
                    "properties": {
                        "key": {"type": "string"},
                        "contentType": {"type": "string"},
                        "description": {"type": "string"},
                        "links": _LINKS,
                    },
                },
            },
        },
    },
    "Execution": {
        "type": "object",
        "required": ["name", "uuid", "correlationId", "steps", "actions", "links"],
        "properties": {
            "name": {"type": "string"},
            "uuid": {"type": "string"},
            "correlationId": {"type": "string"},
            "steps": {"type": "array", "items": {"type": "object"}},
            "actions": {
                "type": "object",
                "description": "by step id",
                "additionalProperties": {
                    "type": "object",
                    "required": ["id", "name", "packName", "state", "stepId", "trigger"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "packName": {"type": "string"},
                        "state": {"type": "object", "required": ["value", "time"]},
                        "stepId": {"type": "string"},
                        "trigger": {"type": "object"},
                        "result": {"type": "object", "description": "absent until the action ends"},
                        "attempts": {"type": "integer"},
                    },
                },
            },
            "stepFailures": {"type": "array", "items": {"type": "object"}},
            "links": _LINKS,
        },
    },
    "ExecutionList": {
        "type": "object",
        "required": ["flows", "links"],
        "properties": {"flows": {"type": "array", "items": _ref("Execution")}, "links": _LINKS},
    },
}


_WARNINGS = {
    "type": "object",
    "required": ["warnings"],
    "properties": {"warnings": {"type": "array", "items": {"type": "object", "required": ["field", "stepId", "detail"]}}},
}
_OUTCOMES = {
    "type": "object",
    "required": ["flow", "steps"],
    "properties": {
        "flow": {"type": "string"},
        "steps": {
            "type": "array",
            "items": {"type": "object", "required": ["id", "outcome", "reason", "detail", "context", "command"]},
        },
    },
}
_OBJECT_NAME = "TestRequest"

# --- building blocks -------------------------------------------------------------------------------


def representation(schema: str | dict[str, Any], description: str) -> dict[str, Any]:
    """A body served as JSON, or as YAML when the request says `Accept: application/x-yaml`."""
    body = _ref(schema) if isinstance(schema, str) else schema
    return {"description": description, "content": {JSON_TYPE: {"schema": body}, YAML_TYPE: {"schema": body}}}


def no_body(description: str) -> dict[str, Any]:
    return {"description": description}


def problem(status: int, description: str) -> tuple[str, dict[str, Any]]:
    titles = {code: title for code, title in STATUS.values()}
    assert status in titles, f"no domain error answers {status}"
    return str(status), {
        "description": f"{titles[status]}: {description}",
        "content": {PROBLEM_CONTENT_TYPE: {"schema": _ref("Problem")}},
    }


def json_or_yaml_body(schema: str, description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description + f" (JSON, or YAML sent as {YAML_TYPE})",
        "content": {JSON_TYPE: {"schema": _ref(schema)}, YAML_TYPE: {"schema": _ref(schema)}},
    }


def path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or {"type": "string"}}


SWAGGER_UI_PAGE = {
    "description": "the Swagger UI page",
    "headers": {
        "Content-Security-Policy": {
            "description": "scripts, styles and the document from this API only; no inline script",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "content": {"text/html": {}},
}
CONSOLE_PAGE = {
    "description": "the web console's page (its data comes from this API, with the user's token)",
    "headers": {
        "Content-Security-Policy": {
            "description": "scripts, styles and requests to this API only; no inline script or style, no HTML sinks",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "content": {"text/html": {}},
}
LOCATION = {"Location": {"description": "the URL of the resource", "required": True, "schema": {"type": "string"}}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "one key per logical post, sent again on its retries: a repeat with the same body answers the "
    "first answer and creates nothing; the same key with another body is 422 (api-contract §4.6)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
KEY_REUSED = problem(422, "the Idempotency-Key was sent before with another body")
PACK_ID = path("packId", "the pack's id (its name, with its labels when it has any)")
NOT_REGISTERED = problem(404, "no such pack is registered (or no route takes this id)")
SECRET_NAME = path("name", "the secret's name (letters, digits, '_', '.', '-'; at most 128)")
OTHER_PACK = problem(403, "the caller's token is bound to another pack (its `flyte_pack` claim)")


def link(operation_id: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": parameters}


# --- the operations --------------------------------------------------------------------------------

OPERATIONS: dict[str, dict[str, Any]] = {
    "root": {"responses": {"200": representation("Links", "links to the API versions")}},
    "v1": {
        "responses": {
            "200": representation("V1", "links to every v1 resource (packs discover every URL here) and the release serving them")
        }
    },
    "health": {
        "responses": {"200": no_body("the API and its tables answer"), **dict([problem(503, "the tables do not answer")])}
    },
    "swagger": {"responses": {"200": representation({"type": "object"}, "this document")}},
    "swaggerUi": {"responses": {"200": SWAGGER_UI_PAGE}},
    "swaggerUiSlash": {"responses": {"200": SWAGGER_UI_PAGE}},
    "swaggerUiAsset": {
        "parameters": [
            path(
                "file",
                "an asset of the page: swagger-ui-bundle.js, swagger-ui.css, swagger_ui_start.js, favicon-32x32.png, "
                "LICENSE, NOTICE",
            )
        ],
        "responses": {
            "200": {
                "description": "the asset",
                "content": {"text/javascript": {}, "text/css": {}, "image/png": {}, "text/plain": {}},
            },
            **dict([problem(404, "no such asset")]),
        },
    },
    "console": {"responses": {"200": CONSOLE_PAGE}},
    "consoleSlash": {"responses": {"200": CONSOLE_PAGE}},
    "consoleAsset": {
        "parameters": [path("file", "a file of the console: its modules (app.js, ...), Preact, htm, console.css, favicon.svg")],
        "responses": {
            "200": {
                "description": "the file (with an ETag)",
                "content": {"text/javascript": {}, "text/css": {}, "image/svg+xml": {}},
            },
            "304": {"description": "unchanged since the ETag sent in If-None-Match"},
            **dict([problem(404, "no such file")]),
        },
    },
    "listPacks": {"responses": {"200": representation("PackList", "every registered pack, sorted by name")}},
    "registerPack": {
        "requestBody": json_or_yaml_body("PackRegistration", "the pack, its commands and events"),
        "responses": {
            "201": {
                **representation("Pack", "registered (again); its action queue exists"),
                "headers": LOCATION,
                "links": {
                    "GetPack": link("getPack", packId="$response.body#/id"),
                    "TakeAction": link("takeAction", packId="$response.body#/id"),
                },
            },
            **dict([problem(400, "not a valid registration (the field is named)"), OTHER_PACK]),
        },
    },
    "getPack": {"parameters": [PACK_ID], "responses": {"200": representation("Pack", "the pack"), **dict([NOT_REGISTERED])}},
    "deletePack": {
        "parameters": [PACK_ID],
        "responses": {"204": no_body("deleted, with its action queue"), **dict([NOT_REGISTERED, OTHER_PACK])},
    },
    "postEvent": {
        "parameters": [PACK_ID, IDEMPOTENCY_KEY],
        "requestBody": json_or_yaml_body("PostedEvent", "an event the pack observed"),
        "responses": {
            "202": {
                **no_body("stored; the flows it starts or continues run from here"),
                "headers": {
                    "Location": {
                        "description": "the event's trace (GET): what became of it",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                },
            },
            **dict([problem(400, "not a valid event"), NOT_REGISTERED, OTHER_PACK, KEY_REUSED]),
        },
    },
    "takeAction": {
        "parameters": [
            PACK_ID,
            query(
                "wait",
                "long poll: seconds to wait for an action (default FLYTE_TAKE_WAIT_SECONDS, 5)",
                {"type": "integer", "minimum": 0, "maximum": MAX_TAKE_WAIT_SECONDS},
            ),
            query("actionName", "take only an action with this command name"),
            query("commandName", "the same as actionName (the links of a pack's commands use it)"),
        ],
        "responses": {
            "200": representation("TakenAction", "the action, now PENDING and leased to this pack"),
            "204": no_body("no action within the wait"),
            **dict(
                [
                    problem(400, "a `wait` outside its bounds"),
                    NOT_REGISTERED,
                    problem(
                        403,
                        "the caller's token is bound to another pack (its `flyte_pack` claim), or the action taken "
                        "references a secret this pack or flow may not receive: the action has ended FATAL (`actionId`)",
                    ),
                    problem(409, "the pack receives its actions by push delivery: there is nothing to take"),
                    problem(409, "the pack was registered before an upgrade renamed its queue: register it again"),
                ]
            ),
        },
    },
    # Issue 21: answered by API Gateway itself (an SQS-ReceiveMessage service integration behind a
    # Lambda authorizer with the take's rules): its refusals are API Gateway's `{"message": ...}`.
    "actionReady": {
        "parameters": [
            PACK_ID,
            {
                **query(
                    "wait",
                    "seconds to wait for an action to be waiting (SQS's WaitTimeSeconds)",
                    {"type": "integer", "minimum": 0, "maximum": 20},
                ),
                "required": True,
            },
        ],
        "responses": {
            "200": {
                "description": "SQS's ReceiveMessage answer, passed through: one message when an action is waiting for the "
                "pack (it stays for the take, which claims it), none after `wait` seconds",
                "content": {JSON_TYPE: {"schema": {"type": "object"}}},
            },
            "400": no_body(
                "SQS refused the request: a `wait` outside 0-20, or the pack's queue is gone (deleted: a take answers 404)"
            ),
            "401": no_body('API Gateway\'s own `{"message":"Unauthorized"}`: with auth on, no `Authorization` header'),
            "403": no_body(
                'API Gateway\'s own `{"message":"Forbidden"}`: the caller may not take this pack\'s actions (no such pack, '
                "a token bound to another pack, a push pack, a token the take's auth rule refuses)"
            ),
            "500": no_body("API Gateway's own: the authorizer failed (the auth policy or the token issuer did not answer)"),
        },
    },
    "postActionResult": {
        "parameters": [PACK_ID, path("actionId", "the action, from the link of the take"), IDEMPOTENCY_KEY],
        "requestBody": json_or_yaml_body("PostedEvent", "the outcome of the action, an event of its command"),
        "responses": {
            "202": {
                **no_body("the action ended; the flow continues with this event"),
                "headers": {
                    "Location": {
                        "description": "the result's trace (GET): what became of it",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                },
            },
            **dict(
                [
                    problem(400, "not a valid event"),
                    problem(403, "the pack may not complete this action, or the caller's token is bound to another pack"),
                    problem(404, "no such pack or action"),
                    problem(409, "the action is not PENDING"),
                    KEY_REUSED,
                ]
            ),
        },
    },
    "listFlows": {"responses": {"200": representation("FlowList", "every flow, sorted by name")}},
    "createFlow": {
        "requestBody": json_or_yaml_body("Flow", "the flow; a flow of the same name is replaced"),
        "responses": {
            "201": {
                **representation(
                    _WARNINGS,
                    "stored as the flow's current version; `warnings` name steps "
                    "whose event or command no registered pack declares, and Shell commands "
                    "whose script writes Event or Context text without `|shellquote`",
                ),
                "headers": LOCATION,
                "links": {"GetFlow": link("getFlow", flowName="$request.body#/name")},
            },
            **dict([problem(400, "not a valid flow (field, step id, line and column named)")]),
        },
    },
    "getFlow": {
        "parameters": [path("flowName", "the flow's name")],
        "responses": {
            "200": representation("FlowRepresentation", "the flow's current version"),
            **dict([problem(404, "no such flow")]),
        },
    },
    "listFlowVersions": {
        "parameters": [
            path("flowName", "the flow's name (also of a deleted flow: its versions stay)"),
            query(
                "start",
                "versions to skip (oldest first); a `next` link continues a long history",
                {"type": "integer", "minimum": 0},
            ),
        ],
        "responses": {
            "200": representation("FlowVersions", "every version saved under the name, oldest first, as many as fit a response"),
            **dict([problem(400, "`start` not a whole number"), problem(404, "no flow of this name was ever saved")]),
        },
    },
    "deleteFlow": {
        "parameters": [path("flowName", "the flow's name")],
        "responses": {"204": no_body("deleted; running executions finish"), **dict([problem(404, "no such flow")])},
    },
    "listDatastoreItems": {"responses": {"200": representation("DatastoreList", "every item without its value, sorted by key")}},
    "getDatastoreItem": {
        "parameters": [path("key", "the item's key")],
        "responses": {
            "200": {
                "description": "the value as stored, with the content type it was stored with; a download "
                "(`Content-Disposition: attachment`) unless that type is JSON, YAML, plain text or CSV",
                "headers": {
                    "Content-Security-Policy": {
                        "description": "the value may not run or load anything in a browser",
                        "required": True,
                        "schema": {"type": "string", "const": ITEM_CONTENT_SECURITY_POLICY},
                    },
                    "Content-Disposition": {
                        "description": "`attachment` with a file name made from the key, for any other type",
                        "required": False,
                        "schema": {"type": "string", "pattern": '^attachment; filename="[A-Za-z0-9._-]+"'},
                    },
                },
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            },
            **dict([problem(404, "no such item")]),
        },
    },
    "storeDatastoreItem": {
        "parameters": [path("key", "the item's key")],
        "requestBody": {
            "required": True,
            "description": "a `value` file part (its content type is kept) and a `description`",
            "content": {"multipart/form-data": {"schema": _ref("DatastoreUpload")}},
        },
        "responses": {
            "201": {**no_body("a new item"), "links": {"GetItem": link("getDatastoreItem", key="$request.path.key")}},
            "204": no_body("the item was replaced"),
            **dict(
                [
                    problem(400, "no `value` part, or an empty one"),
                    problem(404, "no route takes this key"),
                    problem(413, f"a value above {MAX_VALUE_BYTES} bytes"),
                    problem(415, "not multipart/form-data"),
                ]
            ),
        },
    },
    "deleteDatastoreItem": {
        "parameters": [path("key", "the item's key")],
        "responses": {"204": no_body("deleted"), **dict([problem(404, "no such item")])},
    },
    "findFlows": {
        "parameters": [
            query("flowName", "executions of this flow"),
            query("stepId", "with an action of this step"),
            query("actionName", "with an action of this command"),
            query("actionPackName", "with an action for this pack"),
            query("actionPackLabels", "with an action whose pack labels include these, `k:v,k2:v2`"),
            query("start", "executions to skip (newest first)", {"type": "integer", "minimum": 0, "default": 0}),
            query(
                "limit", "executions to show", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
            ),
        ],
        "responses": {
            "200": representation("ExecutionList", "matching executions, newest state change first"),
            **dict([problem(400, "`start` negative or `limit` outside its bounds")]),
        },
    },
    "getFlowExecution": {
        "parameters": [path("correlationId", "the execution's correlation id")],
        "responses": {
            "200": representation("Execution", "the execution, every action with its state history"),
            **dict([problem(404, "no such execution")]),
        },
    },
    "testFlow": {
        "requestBody": json_or_yaml_body(
            _OBJECT_NAME, "{flow, event: {packName, packLabels, event, payload}, states?, context?}"
        ),
        "responses": {
            "200": representation(_OUTCOMES, "every step's outcome, in flow order; nothing stored or queued"),
            **dict([problem(400, "not a valid flow (as POST /v1/flows) or test request (the field is named)")]),
        },
    },
    "testStoredFlow": {
        "parameters": [path("flowName", "the flow's name")],
        "requestBody": json_or_yaml_body(_OBJECT_NAME, "{event: {packName, packLabels, event, payload}, states?, context?}"),
        "responses": {
            "200": representation(_OUTCOMES, "every step's outcome of the current version"),
            **dict([problem(400, "not a valid test request (the field is named)"), problem(404, "no such flow")]),
        },
    },
    "replayFlow": {
        "requestBody": json_or_yaml_body(_OBJECT_NAME, "{flow: the candidate, since: P7D or an RFC 3339 time, limit: 1..1000}"),
        "responses": {
            "200": representation(
                {"type": "object", "required": ["flow", "eventsConsidered", "changes", "unchanged"]},
                "the steps whose outcome or command would change; nothing stored or queued",
            ),
            **dict([problem(400, "not a valid flow, `since` or `limit`")]),
        },
    },
    "findEvents": {
        "parameters": [
            query("packName", "events of this pack name"),
            query("event", "events of this name"),
            query("start", "events to skip (newest first)", {"type": "integer", "minimum": 0, "default": 0}),
            query("limit", "events to show", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        ],
        "responses": {
            "200": representation(
                {"type": "object", "required": ["events", "links"]}, "events newest first, with the steps each fired"
            ),
            **dict([problem(400, "`start` negative or `limit` outside its bounds")]),
        },
    },
    "getEventTrace": {
        "parameters": [path("eventId", "the event's id (the Location of its 202)")],
        "responses": {
            "200": representation(
                {"type": "object", "required": ["id", "event", "pack", "status", "flows", "links"]},
                "the event and every step of every flow it concerned, with its outcome",
            ),
            **dict([problem(404, "no such event (or it expired)")]),
        },
    },
    "listRevocations": {
        "responses": {
            "200": representation(
                {
                    "type": "object",
                    "required": ["revocations", "links"],
                    "properties": {"revocations": {"type": "array", "items": _ref("Revocation")}, "links": _LINKS},
                },
                "revocations in force, newest first",
            ),
            **dict([problem(503, "this deployment keeps no list of revoked tokens")]),
        }
    },
    "revokeToken": {
        "requestBody": json_or_yaml_body("RevocationRequest", "what to revoke, and why"),
        "responses": {
            "201": {**representation("Revocation", "revoked: every function refuses it within a minute"), "headers": LOCATION},
            **dict(
                [
                    problem(400, "not exactly one of `jti` or `sub`, or a member that is not a string"),
                    problem(503, "this deployment keeps no list of revoked tokens"),
                ]
            ),
        },
    },
    "listSecrets": {
        "parameters": [query("start", "secrets to skip", {"type": "integer", "minimum": 0, "default": 0})],
        "responses": {
            "200": representation(
                {
                    "type": "object",
                    "required": ["secrets", "links"],
                    "properties": {"secrets": {"type": "array", "items": _ref("Secret")}, "links": _LINKS},
                },
                "every secret by name: descriptions, scopes, who changed each and when; never values",
            ),
            **dict([problem(400, "`start` is not a whole number from 0")]),
        },
    },
    "getSecret": {
        "parameters": [SECRET_NAME],
        "responses": {
            "200": representation("Secret", "the secret and its history: who set each version and when"),
            **dict([problem(400, "not a valid secret name"), problem(404, "no such secret")]),
        },
    },
    "putSecret": {
        "parameters": [SECRET_NAME],
        "requestBody": json_or_yaml_body("SecretRequest", "the value, a description and the scope"),
        "responses": {
            "200": representation("Secret", "replaced (rotated): actions taken from now on receive the new value"),
            "201": {**representation("Secret", "created"), "headers": LOCATION},
            **dict([problem(400, "not a valid name, value, description or scope (the field is named)")]),
        },
    },
    "deleteSecret": {
        "parameters": [SECRET_NAME],
        "responses": {
            "204": no_body("deleted with its history; actions that reference it end FATAL when taken"),
            **dict([problem(400, "not a valid secret name"), problem(404, "no such secret")]),
        },
    },
    "liftRevocation": {
        "parameters": [path("revocationId", "the revocation's id")],
        "responses": {
            "204": no_body("lifted: the tokens it refused work again (within a minute)"),
            **dict([problem(404, "no such revocation"), problem(503, "this deployment keeps no list of revoked tokens")]),
        },
    },
    # --- schedules (issue 22) ---
    "listSchedules": {
        "responses": {
            "200": representation(
                {
                    "type": "object",
                    "required": ["schedules"],
                    "properties": {"schedules": {"type": "array", "items": _ref("Schedule")}},
                },
                "every schedule by name, the built-in Ticker included, each with its next fire time",
            ),
            **dict([problem(503, "this deployment has no schedule group")]),
        }
    },
    "createSchedule": {
        "requestBody": json_or_yaml_body("ScheduleRequest", "the schedule, with its `name`"),
        "responses": {
            "201": {**representation("Schedule", "created, with its next fire times"), "headers": LOCATION},
            **dict(
                [
                    problem(400, "a field that breaks the rules (`field` names it): the expression, time zone, name..."),
                    problem(413, "a payload over 25,000 bytes as JSON"),
                    problem(409, "a schedule of that name exists (PUT replaces it)"),
                    problem(503, "this deployment has no schedule group"),
                ]
            ),
        },
    },
    "previewSchedule": {
        "requestBody": json_or_yaml_body("SchedulePreviewRequest", "an expression and time zone to try"),
        "responses": {
            "200": representation("Schedule", "what it would be, with its next `count` fire times; nothing is saved"),
            **dict(
                [
                    problem(400, "a field that breaks the rules (`field` names it)"),
                    problem(413, "a payload over 25,000 bytes as JSON"),
                ]
            ),
        },
    },
    "getSchedule": {
        "parameters": [path("name", "the schedule's name"), query("count", "how many next fire times (1-50, default 5)")],
        "responses": {
            "200": representation("Schedule", "the schedule and its next fire times, UTC and local"),
            **dict(
                [
                    problem(400, "a bad count"),
                    problem(404, "no such schedule"),
                    problem(503, "this deployment has no schedule group"),
                ]
            ),
        },
    },
    "putSchedule": {
        "parameters": [path("name", "the schedule's name")],
        "requestBody": json_or_yaml_body("ScheduleRequest", "the schedule"),
        "responses": {
            "200": {**representation("Schedule", "replaced"), "headers": LOCATION},
            "201": {**representation("Schedule", "created"), "headers": LOCATION},
            **dict(
                [
                    problem(400, "a field that breaks the rules (`field` names it): the expression, time zone, name..."),
                    problem(413, "a payload over 25,000 bytes as JSON"),
                    problem(503, "this deployment has no schedule group"),
                ]
            ),
        },
    },
    "deleteSchedule": {
        "parameters": [path("name", "the schedule's name")],
        "responses": {
            "204": no_body("deleted: it fires no more"),
            **dict(
                [
                    problem(400, "a name no schedule can have"),
                    problem(404, "no such schedule"),
                    problem(503, "this deployment has no schedule group"),
                ]
            ),
        },
    },
    # --- webhooks (issue 22) ---
    "listHooks": {
        "responses": {
            "200": representation(
                {"type": "object", "required": ["hooks"], "properties": {"hooks": {"type": "array", "items": _ref("Hook")}}},
                "every hook by name, without secrets",
            ),
        }
    },
    "createHook": {
        "requestBody": json_or_yaml_body("HookRequest", "the hook"),
        "responses": {
            "201": {**representation("Hook", "created: its URL and its secret, shown this once"), "headers": LOCATION},
            **dict(
                [problem(400, "a field that breaks the rules (`field` names it)"), problem(409, "a hook of that name exists")]
            ),
        },
    },
    "getHook": {
        "parameters": [path("name", "the hook's name")],
        "responses": {
            "200": representation("Hook", "the hook, without its secret"),
            **dict([problem(400, "a name no hook can have"), problem(404, "no such hook")]),
        },
    },
    "rotateHook": {
        "parameters": [path("name", "the hook's name")],
        "responses": {
            "200": representation("Hook", "a new secret, shown this once; the old one no longer verifies"),
            **dict([problem(400, "a secret that breaks the rules"), problem(404, "no such hook")]),
        },
    },
    "deleteHook": {
        "parameters": [path("name", "the hook's name")],
        "responses": {
            "204": no_body("deleted, with its secret"),
            **dict([problem(400, "a name no hook can have"), problem(404, "no such hook")]),
        },
    },
    "receiveHook": {
        "parameters": [path("name", "the hook's name")],
        "requestBody": {
            "required": True,
            "description": "what the sender posts: JSON (or a form whose `payload` is JSON), signed by the hook's scheme",
            "content": {JSON_TYPE: {"schema": {}}},
        },
        "responses": {
            "202": {"description": "stored as an event; Location is its trace", "headers": LOCATION},
            "200": {
                "description": "a delivery id seen before: nothing more stored; Location is the first event's trace",
                "headers": LOCATION,
            },
            **dict(
                [
                    problem(400, "a body that is not JSON, or an event name that breaks the rules"),
                    problem(401, "not signed with the hook's secret, or a stale timestamp"),
                    problem(404, "no such hook"),
                    problem(413, "a body larger than an event's payload may be"),
                ]
            ),
        },
    },
}


# Any operation, when the API runs with an auth policy (see the README's authentication section).
UNAUTHORIZED = {
    "description": "Unauthorized: the API runs with an auth policy (FLYTE_AUTH_POLICY_PATH) and no rule "
    "covers the path, the bearer token is missing or invalid (`WWW-Authenticate`), or its "
    "claims do not satisfy the rule",
    "content": {PROBLEM_CONTENT_TYPE: {"schema": _ref("Problem")}},
}
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "an OIDC ID token, needed only where the auth policy asks for claims",
    }
}
SECURITY: list[dict[str, list[str]]] = [{}, {"bearer": []}]  # open unless the policy says otherwise


def apply(operation: dict[str, Any]) -> dict[str, Any]:
    """An operation of Powertools' document with its contract: parameters, body and responses."""
    contract = OPERATIONS[operation["operationId"]]
    described = {key: value for key, value in operation.items() if key not in ("parameters", "requestBody", "responses")}
    for key in ("parameters", "requestBody", "responses"):
        if contract.get(key):
            described[key] = copy.deepcopy(contract[key])
    described["responses"]["401"] = copy.deepcopy(UNAUTHORIZED)
    if "requestBody" in described and "413" not in described["responses"]:
        described["responses"]["413"] = problem(
            413, f"the body, or a part of it, is above its limit (a document: {MAX_DOCUMENT_BYTES} bytes; the README's Limits)"
        )[1]
    if (
        any(JSON_TYPE in response.get("content", {}) for response in described["responses"].values())
        and "413" not in described["responses"]
    ):
        described["responses"]["413"] = problem(
            413, f"the representation would be above {MAX_RESPONSE_BYTES} bytes, more than a Lambda response carries"
        )[1]
    return described
