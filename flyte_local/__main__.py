"""`python -m flyte_local`: the Flyte API on http://127.0.0.1:8080 over a moto server it starts (a process of its own)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from .faults import FaultSpec
from .stack import LocalStack, PortInUse, auth_environment


def main() -> None:
    parser = argparse.ArgumentParser(prog="flyte_local", description=__doc__)
    parser.add_argument(
        "--host", default=os.environ.get("FLYTE_HOST", "127.0.0.1"), help="address to listen on (FLYTE_HOST, default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("FLYTE_PORT", "8080")), help="port to listen on (FLYTE_PORT, default 8080)"
    )
    parser.add_argument(
        "--aws-endpoint",
        default=os.environ.get("FLYTE_LOCAL_AWS_ENDPOINT"),
        help="use this DynamoDB/SQS endpoint instead of starting moto (FLYTE_LOCAL_AWS_ENDPOINT)",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter, e.g. --parameter ActionLeaseSeconds=30",
    )
    parser.add_argument(
        "--faults",
        default=os.environ.get("FLYTE_LOCAL_FAULTS"),
        metavar="SPEC",
        help="inject AWS faults for the functions, e.g. 'throttle=0.05,error=0.05,latency=0.2:300ms,lost-reply=0.05,seed=7' "
        "(FLYTE_LOCAL_FAULTS; off by default)",
    )
    args = parser.parse_args()
    try:
        faults = FaultSpec.parse(args.faults) if args.faults else None
    except ValueError as error:
        sys.exit(f"FLYTE_LOCAL_FAULTS: {error}")
    logging.basicConfig(
        level=os.environ.get("FLYTE_LOCAL_LOG_LEVEL", "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("werkzeug", "botocore.credentials", "pynamodb.settings"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    overrides = dict(item.split("=", 1) for item in args.parameter)
    stack = LocalStack(
        host=args.host,
        port=args.port,
        endpoint=args.aws_endpoint,
        parameter_overrides=overrides,
        environment=auth_environment(os.environ),
        faults=faults,
        warm_in_background=True,  # /health answers at once; the functions warm behind it
    )
    stopping = threading.Event()

    def stop_requested(*_: object) -> None:
        # at once, in the handler: Ctrl-C also reaches an environment the warm-up is starting, whose
        # death must then read as the stop it is, not as a function that cannot start
        stack.begin_stop()
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_requested)
    try:
        stack.start()
    except PortInUse as error:
        sys.exit(str(error))
    print(f"Flyte API listening on {stack.url}  (Ctrl-C to stop)", flush=True)
    try:
        stopping.wait()
    finally:
        stack.begin_stop()
        print("Stopping the Flyte API ...", flush=True)
        stack.stop()
        print(stack.metrics.summary(), flush=True)


if __name__ == "__main__":
    main()
