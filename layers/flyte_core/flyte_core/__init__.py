"""flyte_core: everything the Flyte functions share, in layers that import only inward.

    http/      request parsing, negotiation, problem+json   -> services, domain
    services/  use cases: receive, match, take, complete...  -> adapters, domain
    adapters/  DynamoDB tables (PynamoDB), SQS queues, AWS   -> domain
    domain/    pure rules and representations, no AWS, no HTTP

``settings`` and ``observability`` sit beside them and any layer may use them.
tests/unit/test_layers.py enforces the arrows.
"""

# The release: /v1 reports it, and the CLI, the packs and CHANGELOG.md carry the same (tests/unit/test_version.py).
__version__ = "0.1.0"
