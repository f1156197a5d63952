"""Create template.yaml's tables and queues on an AWS-compatible endpoint (a moto server, DynamoDB
Local plus an SQS emulator), for `sam local` users: `python -m flyte_local.provision --endpoint
http://localhost:5000`, then pass sam-local-env.json (or what --print-env prints) to sam local."""

from __future__ import annotations

import argparse
import json
import os
from urllib.parse import urlsplit, urlunsplit

from . import application
from .backend import Backend
from .stack import FAKE_CREDENTIALS, merged_environment

# How sam local's containers reach the host; on Linux `--add-host host.docker.internal:host-gateway`.
CONTAINER_HOST = "host.docker.internal"


def container_endpoint(endpoint: str) -> str:
    """The endpoint as a function in a sam local container sees it (the host's loopback is not its own)."""
    parts = urlsplit(endpoint)
    if parts.hostname in ("localhost", "127.0.0.1", "0.0.0.0"):
        parts = parts._replace(netloc=f"{CONTAINER_HOST}:{parts.port}" if parts.port else CONTAINER_HOST)
    return urlunsplit(parts)


SAM_LOCAL_API = "http://127.0.0.1:3000/"  # `sam local start-api`'s default address
# Provisioning for sam local includes the optional resources (the Slack pack's secret), so that every
# function sam local may run finds what it reads.
SAM_LOCAL_PARAMETERS = {"SlackIntegration": "true"}

# sam local resolves the template's defaults, which turn the built-in token issuer on; these take the
# local stack's values instead (open, application.LOCAL_PARAMETERS).
LOCAL_AUTH_VARIABLES = ("FLYTE_AUTH_POLICY_PATH", "FLYTE_TOKEN_SECRET_ARN")


def sam_local_environment(app: application.Application, endpoint: str) -> dict:
    """The --env-vars document for sam local: the names the provisioner created, the local stack's
    open auth, and the endpoint."""
    merged = merged_environment(app)
    shared = {
        k: v
        for k, v in merged.items()
        if k.startswith("FLYTE_") and (k.endswith("_TABLE") or k == "FLYTE_PACK_QUEUE_PREFIX" or k in LOCAL_AUTH_VARIABLES)
    }
    # push delivery (issue 20): the queue as the containers reach it, and the key's name in moto
    shared["FLYTE_DELIVERY_QUEUE_URL"] = container_endpoint(merged["FLYTE_DELIVERY_QUEUE_URL"])
    shared["FLYTE_DELIVERY_KEY_SECRET_ARN"] = merged["FLYTE_DELIVERY_KEY_SECRET_ARN"]
    shared["FLYTE_SECRETS_PREFIX"] = merged["FLYTE_SECRETS_PREFIX"]  # issue 24: the secrets' path in moto's SSM
    if "FLYTE_SLACK_SECRET_ARN" in merged:  # the Slack pack in the stack: its secret in moto, and the API
        shared["FLYTE_SLACK_SECRET_ARN"] = merged["FLYTE_SLACK_SECRET_ARN"]  # as `sam local start-api` serves it
        shared["FLYTE_API_URL"] = SAM_LOCAL_API
    # issue 22: the schedule group in moto, the function its schedules invoke and their role; the webhooks' prefix
    shared.update({k: v for k, v in merged.items() if k.startswith("FLYTE_SCHEDULE_") or k == "FLYTE_HOOKS_PREFIX"})
    return {"Parameters": {**shared, "AWS_ENDPOINT_URL": container_endpoint(endpoint)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="e.g. http://localhost:5000 (moto_server -p 5000)")
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="print the --env-vars JSON for sam local (endpoint as seen from sam's containers)",
    )
    args = parser.parse_args()
    for key, value in FAKE_CREDENTIALS.items():
        os.environ.setdefault(key, value)
    app = application.load(args.endpoint, SAM_LOCAL_PARAMETERS)
    Backend(args.endpoint).create_resources(app)
    print(f"created {len(app.tables)} tables and {len(app.queues)} queues on {args.endpoint}")
    if args.print_env:
        print(json.dumps(sam_local_environment(app, args.endpoint), indent=2))


if __name__ == "__main__":
    main()
