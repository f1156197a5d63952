"""moto's server in a process of its own, answering HTTP/1.1 with keep-alive.

Its own process gives it its own interpreter lock, so the AWS the functions call does not compete
with the gateway and the stream pollers; keep-alive spares every AWS call a new connection and
thread (moto's ThreadedMotoServer speaks HTTP/1.0). `python -m flyte_local.moto_server` prints
`listening on PORT` once it accepts connections.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class KeepAliveHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    server = make_server(args.host, args.port, DomainDispatcherApplication(create_backend_app), threaded=True,
                         request_handler=KeepAliveHandler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
