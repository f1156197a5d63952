"""``flyte-shell-pack`` / ``python -m flyte_shell_pack``."""

from __future__ import annotations

import argparse
import logging
import sys

from flyte_pack import ConfigError, configure_logging

from .pack import build_pack

ENVIRONMENT = """\
environment:
  FLYTE_API or FLYTE_API_URL  Flyte API root URL (required), e.g. http://localhost:8080
  FLYTE_LABELS                pack labels, 'key=value,key2=value2'
  FLYTE_JWT                   token sent as 'Authorization: Bearer <jwt>'
  FLYTE_API_TIMEOUT           HTTP timeout in whole seconds (default 10, 0 = none)
  FLYTE_CA_CERT_FILE          CA bundle for the API's TLS certificate
  FLYTE_PACK_CONCURRENCY      scripts run at once (default 10)
  FLYTE_PACK_POLL_WAIT        long-poll wait of take requests, 0..20 s (default: half the timeout)
  FLYTE_SHELL_TIMEOUT         script timeout in whole seconds (default 300, 0 = none)
  FLYTE_SHELL_MAX_OUTPUT_BYTES  stdout/stderr cap per stream in bytes (default 65536, 0 = none)
  LOGLEVEL                    debug, info (default), warn, error

SIGINT/SIGTERM stop taking actions, let running scripts finish and post their results, then
exit; a second signal exits at once.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flyte-shell-pack",
        description="Flyte Shell pack: runs the input of 'Shell' actions as 'bash -c <script>' "
        "and answers with an 'Output' event {stdout, stderr, exit_code}. An input "
        '{"script": ..., "env": {"NAME": value}} runs the script with those environment '
        "variables: the safe way to hand it text from events.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    configure_logging()
    try:
        pack = build_pack()
    except ConfigError as exc:
        logging.getLogger("flyte_shell_pack").error("invalid configuration: %s", exc)
        return 2
    pack.start()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
