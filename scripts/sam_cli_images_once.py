"""The SAM CLI (run with .venv-sam's Python, as `.venv-sam/bin/sam` is), but building the image of a
set of layers once per `make sam-local-check` rather than once per function container.

SAM CLI rebuilds a function's image (the runtime plus its layers, copied in) every time it creates
a container for a function whose layers the template defines: with warm containers, once per
function. Our template defines the layer every function uses (62 MB, mostly botocore and
cryptography), so the check's twenty containers cost twenty identical builds, each tarring the
layer, sending it to Docker and Docker hashing it again: most of the check's CPU (issue 28). The
check names a folder in FLYTE_SAM_BUILT_IMAGES, made after `sam build`; an image built into it by
either of the check's SAM CLI processes is the one a rebuild would make, so it is used as it is.
Every container still starts from it, with the layers in /opt as SAM CLI puts them there.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import Any

from samcli.cli.main import cli  # type: ignore[import-not-found]  # .venv-sam's package, not .venv's
from samcli.local.docker.lambda_image import LambdaImage  # type: ignore[import-not-found]

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def build_each_image_once(built: Path) -> None:
    build = LambdaImage._build_image

    def build_unless_built(self: Any, base_image: str, docker_tag: str, *args: Any, **kwargs: Any) -> None:
        marker = built / hashlib.sha256(docker_tag.encode()).hexdigest()
        with _LOCKS_LOCK:
            lock = _LOCKS.setdefault(docker_tag, threading.Lock())
        with lock:  # the functions' containers start side by side: one builds, the others wait for it
            if marker.exists():
                return
            build(self, base_image, docker_tag, *args, **kwargs)  # raises if the build failed
            marker.write_text(docker_tag, encoding="utf-8")

    LambdaImage._build_image = build_unless_built


if __name__ == "__main__":
    if os.environ.get("FLYTE_SAM_BUILT_IMAGES"):
        build_each_image_once(Path(os.environ["FLYTE_SAM_BUILT_IMAGES"]))
    sys.argv[0] = "sam"
    sys.exit(cli())
