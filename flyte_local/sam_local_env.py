"""sam-local-env.json, generated from template.yaml: the `--env-vars` file `sam local` reads
(samconfig.toml passes it). It names the tables and queue prefix that `python -m flyte_local.provision`
creates, and the endpoint of a moto server on the host as sam's containers see it.

    python -m flyte_local.sam_local_env --write     (make sam-local-env)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import application
from .stack import merged_environment

PATH = application.ROOT / "sam-local-env.json"
HOST_ENDPOINT = "http://localhost:5000"  # `python -m moto.server -p 5000` on the host
CONTAINER_ENDPOINT = "http://host.docker.internal:5000"  # the same server, seen from sam's containers
# sam local runs open, as `make run` does: the policy in SSM and the issuer's secret exist only in a stack.
STACK_ONLY = ("FLYTE_AUTH_POLICY_PATH", "FLYTE_TOKEN_SECRET_ARN")


def document() -> dict[str, Any]:
    names = {key: value for key, value in merged_environment(application.load(HOST_ENDPOINT)).items()
             if key.startswith("FLYTE_") and (key.endswith("_TABLE") or key == "FLYTE_PACK_QUEUE_PREFIX")}
    return {"Parameters": {**names, "AWS_ENDPOINT_URL": CONTAINER_ENDPOINT, **{name: "" for name in STACK_ONLY}}}


def render() -> str:
    return json.dumps(document(), indent=2) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"write {PATH.name} (default: print it)")
    if parser.parse_args().write:
        PATH.write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())


if __name__ == "__main__":
    main()
