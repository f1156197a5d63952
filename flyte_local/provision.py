"""Create template.yaml's tables and queues on an AWS-compatible endpoint (a moto server, DynamoDB
Local plus an SQS emulator), for `sam local start-api` users: `python -m flyte_local.provision
--endpoint http://localhost:5000`, then pass sam-local-env.json to sam local."""

from __future__ import annotations

import argparse
import json
import os

from . import application
from .backend import Backend
from .stack import FAKE_CREDENTIALS, merged_environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="e.g. http://localhost:5000 (moto_server -p 5000)")
    parser.add_argument("--print-env", action="store_true",
                        help="print the --env-vars JSON for sam local (endpoint as seen from sam's containers)")
    args = parser.parse_args()
    for key, value in FAKE_CREDENTIALS.items():
        os.environ.setdefault(key, value)
    app = application.load(args.endpoint)
    Backend(args.endpoint).create_resources(app)
    print(f"created {len(app.tables)} tables and {len(app.queues)} queues on {args.endpoint}")
    if args.print_env:
        shared = {k: v for k, v in merged_environment(app).items() if k.startswith("FLYTE_") and k.endswith("_TABLE")}
        container_endpoint = args.endpoint.replace("localhost", "host.docker.internal").replace("127.0.0.1", "host.docker.internal")
        print(json.dumps({"Parameters": {**shared, "AWS_ENDPOINT_URL": container_endpoint}}, indent=2))


if __name__ == "__main__":
    main()
