"""flyte_pack: write Flyte packs in Python (the counterpart of the Go flyte-client).

A pack author writes the pack definition and handler functions::

    from flyte_pack import Command, Event, EventDef, Pack

    def send_message(input):
        ...
        return Event("MessageSent", {"message": input["message"]})

    pack = Pack(
        name="Slack",
        commands=[Command("SendMessage", handler=send_message,
                          output_events=["MessageSent", "SendMessageFailed"])],
        events=[EventDef("ReceivedMessage")],
        help_url="https://example.com/slack-pack/README.md",
    )
    pack.start()  # blocks until SIGINT/SIGTERM; pack.send_event(...) from other threads

Configuration: FLYTE_API, FLYTE_LABELS, FLYTE_JWT, FLYTE_API_TIMEOUT (as flyte-client), or
the matching keyword arguments of :class:`Pack`.
"""

from .client import VERSION as __version__
from .client import Action, FlyteAPIError, PackNotFoundError
from .config import Config, ConfigError, parse_labels, parse_timeout
from .logs import configure_logging
from .pack import FATAL, Command, Event, EventDef, Handler, Pack, PackNotRegisteredError

__all__ = [
    "FATAL",
    "Action",
    "Command",
    "Config",
    "ConfigError",
    "Event",
    "EventDef",
    "FlyteAPIError",
    "Handler",
    "Pack",
    "PackNotFoundError",
    "PackNotRegisteredError",
    "__version__",
    "configure_logging",
    "parse_labels",
    "parse_timeout",
]
