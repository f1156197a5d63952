"""sam-local-env.json, generated from template.yaml: the `--env-vars` file `sam local` reads
(samconfig.toml passes it), as `python -m flyte_local.provision --print-env` describes a moto on
the host's port 5000.

    python -m flyte_local.sam_local_env --write     (make sam-local-env)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import application
from .provision import SAM_LOCAL_PARAMETERS, sam_local_environment

PATH = application.ROOT / "sam-local-env.json"
HOST_ENDPOINT = "http://localhost:5000"  # `python -m moto.server -p 5000` on the host


def document() -> dict[str, Any]:
    return sam_local_environment(application.load(HOST_ENDPOINT, SAM_LOCAL_PARAMETERS), HOST_ENDPOINT)


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
