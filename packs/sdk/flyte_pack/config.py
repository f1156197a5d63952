"""Pack configuration from the environment, with the exact rules of the Go flyte-client.

| variable            | rule                                                                  |
|---------------------|-----------------------------------------------------------------------|
| ``FLYTE_API``         | required; root URL of the Flyte API, may contain a path prefix        |
| ``FLYTE_LABELS``      | optional ``k=v,k2=v2``; each item split on its first ``=``, key and   |
|                     | value trimmed; an item without ``=`` is an error                      |
| ``FLYTE_JWT``         | optional; sent as ``Authorization: Bearer <jwt>`` on every request    |
| ``FLYTE_API_TIMEOUT`` | optional whole seconds, default 10, ``0`` = no timeout; negative or    |
|                     | not an integer is an error                                            |
| ``FLYTE_CA_CERT_FILE``| optional CA bundle used to verify the API's TLS certificate           |

Extensions of this SDK (not in flyte-client):

| variable                 | rule                                                             |
|--------------------------|------------------------------------------------------------------|
| ``FLYTE_PACK_CONCURRENCY`` | most actions handled at once, integer >= 1, default 10           |
| ``FLYTE_PACK_POLL_WAIT``   | seconds the server may hold a take request (long poll), 0..20;   |
|                          | default half of ``FLYTE_API_TIMEOUT`` (10 -> 5), 20 when it is 0 |

Push mode (issue 20: the engine POSTs each action to the pack instead of the pack long-polling):

| variable                     | rule                                                          |
|------------------------------|---------------------------------------------------------------|
| ``FLYTE_PACK_DELIVERY_URL``    | the https URL the engine delivers to; set, the pack is a push |
|                              | pack (registered with it, serving it instead of polling)      |
| ``FLYTE_PACK_DELIVERY_SECRET`` | the signing secret (16-256 printable ASCII); unset, the engine |
|                              | makes one at registration and the pack keeps it in memory     |
| ``FLYTE_PACK_LISTEN``          | ``host:port`` the local push server listens on, default       |
|                              | ``127.0.0.1:8090`` (``pack.start()`` in push mode)              |
| ``FLYTE_PACK_ANSWER_WITHIN``   | seconds a command may take and still answer 200 with its      |
|                              | result, default 8 (below the engine's 10 s); longer: 202, and |
|                              | the result is posted to the action's link when done           |

Errors are raised as :class:`ConfigError` (flyte-client logs and exits instead).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_API_TIMEOUT = 10
DEFAULT_CONCURRENCY = 10
MAX_POLL_WAIT = 20  # the server long-polls at most this many seconds

ENV_API = "FLYTE_API"
ENV_LABELS = "FLYTE_LABELS"
ENV_JWT = "FLYTE_JWT"
ENV_API_TIMEOUT = "FLYTE_API_TIMEOUT"
ENV_CA_CERT_FILE = "FLYTE_CA_CERT_FILE"
ENV_CONCURRENCY = "FLYTE_PACK_CONCURRENCY"
ENV_POLL_WAIT = "FLYTE_PACK_POLL_WAIT"
ENV_DELIVERY_URL = "FLYTE_PACK_DELIVERY_URL"
ENV_DELIVERY_SECRET = "FLYTE_PACK_DELIVERY_SECRET"
ENV_LISTEN = "FLYTE_PACK_LISTEN"
ENV_ANSWER_WITHIN = "FLYTE_PACK_ANSWER_WITHIN"
DEFAULT_LISTEN = "127.0.0.1:8090"
DEFAULT_ANSWER_WITHIN = 8.0  # the engine waits 10 s for an answer

# Go's strconv.Atoi: optional sign, ASCII digits, nothing else (no spaces, no underscores).
_GO_INT = re.compile(r"[+-]?[0-9]+")


class ConfigError(ValueError):
    """A configuration value (environment variable or argument) is missing or invalid."""


def parse_labels(value: str | None, name: str = ENV_LABELS) -> dict[str, str]:
    """Parse ``k=v,k2=v2`` as flyte-client does.

    Empty or unset -> ``{}``. Each comma-separated item is split on its *first* ``=``; key and
    value are trimmed of surrounding whitespace. An item without ``=`` (including an empty item,
    e.g. from a trailing comma) is malformed.
    """
    labels: dict[str, str] = {}
    if not value:
        return labels
    for item in value.split(","):
        key, sep, val = item.partition("=")
        if not sep:
            raise ConfigError(
                f"invalid format of {name} environment variable: {value!r} "
                f"(expected 'key=value,key2=value2'; item {item!r} has no '=')"
            )
        labels[key.strip()] = val.strip()
    return labels


def parse_int(value: str, name: str) -> int:
    """Parse an integer the way Go's strconv.Atoi does (no surrounding spaces allowed)."""
    if not _GO_INT.fullmatch(value):
        raise ConfigError(f"{name} is an invalid integer value: {value!r}")
    return int(value)


def parse_timeout(value: str | None, name: str = ENV_API_TIMEOUT) -> float | None:
    """Parse ``FLYTE_API_TIMEOUT``: whole seconds, default 10, ``0`` -> ``None`` (no timeout)."""
    if value is None or value == "":
        return float(DEFAULT_API_TIMEOUT)
    seconds = parse_int(value, name)
    if seconds < 0:
        raise ConfigError(f"{name} has been set to an invalid value: {seconds}")
    return None if seconds == 0 else float(seconds)


def parse_api_url(value: str | None, name: str = ENV_API) -> str:
    """Validate the API root URL (``http``/``https`` with a host; a path prefix is allowed)."""
    if not value:
        raise ConfigError(f"{name} environment variable is not set")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{name} environment variable is not set to a valid URL: {value!r} "
            "(expected e.g. http://localhost:8080 or https://host/prefix)"
        )
    return value.strip()


def default_poll_wait(timeout: float | None) -> int:
    """Long-poll wait to request: a little below the HTTP timeout, at most 20 s.

    Half the timeout, so the server's answer comes back well within it (10 s -> 5 s);
    no timeout -> the maximum, 20 s.
    """
    if timeout is None:
        return MAX_POLL_WAIT
    return max(0, min(MAX_POLL_WAIT, int(timeout // 2)))


@dataclass(frozen=True)
class Config:
    """Resolved client settings. Build it with :meth:`from_env` or directly."""

    api_url: str
    labels: dict[str, str] = field(default_factory=dict)
    jwt: str | None = field(default=None, repr=False)  # never logged
    timeout: float | None = float(DEFAULT_API_TIMEOUT)  # None = no timeout
    ca_cert_file: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    poll_wait: int | None = None  # None -> default_poll_wait(timeout)
    delivery_url: str | None = None  # push mode: where the engine POSTs the pack's actions
    delivery_secret: str | None = field(default=None, repr=False)  # never logged
    listen: str = DEFAULT_LISTEN
    answer_within: float = DEFAULT_ANSWER_WITHIN

    @property
    def push(self) -> bool:
        return bool(self.delivery_url)

    @property
    def listen_address(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_url", parse_api_url(self.api_url, "api_url"))
        if self.timeout is not None and self.timeout <= 0:
            object.__setattr__(self, "timeout", None)
        if not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ConfigError(f"concurrency must be an integer >= 1, got {self.concurrency!r}")
        if self.poll_wait is not None and not 0 <= self.poll_wait <= MAX_POLL_WAIT:
            raise ConfigError(f"poll wait must be between 0 and {MAX_POLL_WAIT} seconds, got {self.poll_wait!r}")
        for key, value in self.labels.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ConfigError(f"labels must map strings to strings, got {key!r}: {value!r}")
        if self.delivery_url is not None:
            parts = urlsplit(self.delivery_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"the delivery URL must be an https URL, got {self.delivery_url!r}")
        if self.delivery_secret is not None and not (
            16 <= len(self.delivery_secret) <= 256 and all("\x21" <= ch <= "\x7e" for ch in self.delivery_secret)
        ):
            raise ConfigError("the delivery secret must be 16 to 256 printable ASCII characters without spaces")
        try:
            _, port = self.listen_address
        except ValueError:
            port = -1
        if not 0 <= port <= 65535:
            raise ConfigError(f"the listen address must be host:port, got {self.listen!r}")
        if not 0 < self.answer_within <= 9.5:
            raise ConfigError(
                f"answer_within must be above 0 and at most 9.5 seconds (the engine waits 10), got {self.answer_within!r}"
            )

    @property
    def effective_poll_wait(self) -> int:
        """The ``wait`` sent on take requests, kept below the HTTP timeout."""
        wait = default_poll_wait(self.timeout) if self.poll_wait is None else self.poll_wait
        if self.timeout is not None:
            wait = min(wait, max(0, int(self.timeout) - 1))
        return wait

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        api_env_names: tuple[str, ...] = (ENV_API,),
        **overrides: object,
    ) -> Config:
        """Read the configuration from ``env`` (default ``os.environ``).

        ``api_env_names`` lists the variables that may hold the API URL, first set one wins
        (the Shell pack passes ``("FLYTE_API", "FLYTE_API_URL")``). Keyword ``overrides``
        whose value is not ``None`` take precedence over the environment and are not parsed
        from it at all (so an invalid variable does not matter when an argument replaces it).
        """
        env = os.environ if env is None else env
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise TypeError(f"unknown configuration fields: {sorted(unknown)}")

        values: dict[str, object] = dict(given)
        if "api_url" not in values:
            for name in api_env_names:
                if env.get(name):
                    values["api_url"] = parse_api_url(env[name], name)
                    break
            else:
                raise ConfigError(f"{' or '.join(api_env_names)} environment variable is not set")
        if "labels" not in values:
            values["labels"] = parse_labels(env.get(ENV_LABELS))
        if "jwt" not in values:
            values["jwt"] = env.get(ENV_JWT) or None
        if "timeout" not in values:
            values["timeout"] = parse_timeout(env.get(ENV_API_TIMEOUT))
        if "ca_cert_file" not in values:
            values["ca_cert_file"] = env.get(ENV_CA_CERT_FILE) or None
        if "concurrency" not in values:
            raw = env.get(ENV_CONCURRENCY)
            values["concurrency"] = DEFAULT_CONCURRENCY if not raw else parse_int(raw, ENV_CONCURRENCY)
        if "poll_wait" not in values:
            raw = env.get(ENV_POLL_WAIT)
            values["poll_wait"] = None if not raw else parse_int(raw, ENV_POLL_WAIT)
        if "delivery_url" not in values:
            values["delivery_url"] = env.get(ENV_DELIVERY_URL) or None
        if "delivery_secret" not in values:
            values["delivery_secret"] = env.get(ENV_DELIVERY_SECRET) or None
        if "listen" not in values:
            values["listen"] = env.get(ENV_LISTEN) or DEFAULT_LISTEN
        if "answer_within" not in values:
            raw = env.get(ENV_ANSWER_WITHIN)
            try:
                values["answer_within"] = DEFAULT_ANSWER_WITHIN if not raw else float(raw)
            except ValueError:
                raise ConfigError(f"{ENV_ANSWER_WITHIN} is not a number of seconds: {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]
