"""The engine's outbound HTTP to push packs (issue 20): one signed POST per delivery, bounded.

- https only; plain http only to loopback, and loopback only where the settings allow it (the local
  stack). In Lambda, 127.0.0.1:9001 is the runtime's own API: never a delivery target there.
- The host is resolved once and *every* address it resolves to must be allowed (no private,
  link-local - the metadata service at 169.254.169.254 -, multicast or reserved address unless the
  settings allow private networks); the connection then goes to the checked address itself, with the
  host name kept for TLS (SNI, certificate check) and the Host header, so a name that resolves
  differently a moment later (DNS rebinding) cannot send the request elsewhere.
- 10 s for the whole exchange, at most 1 MiB of answer read, no redirects followed (a 3xx is an
  answer like any other: a failed attempt).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..domain.delivery import MAX_ANSWER_BYTES, TIMEOUT_SECONDS, Answer, Bounds, address_refusal

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _Pinned(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate of the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedPlain(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class PackEndpoints:
    def __init__(
        self,
        bounds: Bounds,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_ANSWER_BYTES,
        resolver: Resolver = resolve,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.bounds = bounds
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._resolve = resolver
        self._tls = tls

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST `body` to `url`; the answer, or an Answer with `error` saying why there is none."""
        deadline = time.monotonic() + self.timeout
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.scheme not in ("https", "http"):
            return Answer(error=f"was refused: {parts.scheme!r} is not https")
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError) as error:
            return Answer(error=f"could not resolve {host}: {error}")
        if not addresses:
            return Answer(error=f"could not resolve {host}: no address")
        for address in addresses:
            refusal = address_refusal(ipaddress.ip_address(address.split("%", 1)[0]), self.bounds)
            if refusal:
                return Answer(error=f"was refused: {host} resolves to {address}, which {refusal}")
        if parts.scheme == "http" and not all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses):
            return Answer(error=f"was refused: plain http is allowed only to loopback, and {host} is not")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        last_error = "no address answered"
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            connection: http.client.HTTPConnection
            if parts.scheme == "https":
                connection = _Pinned(host, port, address, remaining, self._tls or ssl.create_default_context())
            else:
                connection = _PinnedPlain(host, port, address, remaining)
            try:
                return self._exchange(connection, target, body, headers, deadline)
            except ConnectionRefusedError as error:
                last_error = f"could not connect to {host} ({address}): {error.strerror or error}"
                continue  # another address of the same name may answer
            except TimeoutError:
                return Answer(error=f"timed out: no answer within {self.timeout:g} s")
            except ssl.SSLError as error:
                return Answer(error=f"failed TLS with {host}: {error.reason or error}")
            except (OSError, http.client.HTTPException) as error:
                return Answer(error=f"failed: {type(error).__name__}: {error}")
            finally:
                connection.close()
        return Answer(error=f"failed: {last_error}")

    def _exchange(
        self, connection: http.client.HTTPConnection, target: str, body: bytes, headers: Mapping[str, str], deadline: float
    ) -> Answer:
        connection.request("POST", target, body=body, headers=dict(headers))
        response = connection.getresponse()
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if connection.sock is not None:
                connection.sock.settimeout(remaining)
            chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                return Answer(error=f"answered {response.status} with more than {self.max_bytes} bytes (refused)")
            chunks.append(chunk)
        return Answer(status=response.status, reason=response.reason or "", body=b"".join(chunks))


def describe(answer: Answer) -> dict[str, Any]:
    """What a log line says about an answer (never its body: it may hold what the pack returned)."""
    return {"status": answer.status, "error": answer.error, "bytes": len(answer.body)}
