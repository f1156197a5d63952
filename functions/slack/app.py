"""The Slack pack in the stack (issue 20, optional: SlackIntegration=true): Slack's Events API and
interactivity at /slack/events, the engine's push deliveries of its commands at /slack/actions.
Slack's bot token and signing secret come from the stack's Slack secret in Secrets Manager; the pack
registers and sends its events through the engine's services in-process."""

import os
from collections.abc import Mapping
from typing import Any

from flyte_core.adapters import Adapters
from flyte_core.domain.chat import ChatActor
from flyte_core.observability import logger
from flyte_core.services import stack_packs
from flyte_core.settings import Settings
from flyte_pack import Event
from flyte_slack_pack.events_api import EventsApiPack, SlackCredentials

adapters = Adapters(Settings.from_environ())  # once per environment (cold start)
FUNCTION = "slack-function"
PACK_NAME = os.environ.get("FLYTE_SLACK_PACK_NAME") or "Slack"
SECRET_ID = os.environ["FLYTE_SLACK_SECRET_ARN"]  # {"botToken", "signingSecret"}, put there after the deploy


def credentials() -> SlackCredentials | None:
    """The bot token and signing secret, once someone has put them in the secret."""
    value = adapters.aws.client("secretsmanager").get_secret_value(SecretId=SECRET_ID)
    return SlackCredentials.parse(value.get("SecretString") or "")


def register(definition: dict[str, Any], base: str) -> None:
    stack_packs.register(adapters, definition, base, FUNCTION)


def send(event: Event, envelope: Mapping[str, Any]) -> None:
    """A Flyte event of the pack; an envelope Slack sends again (same event_id) is stored once."""
    slack_id, sent_at = envelope.get("event_id"), envelope.get("event_time")
    once = (float(sent_at), str(slack_id)) if slack_id and isinstance(sent_at, int | float) else None
    actor = ChatActor(event.chat_actor["user"], event.chat_actor.get("email", "")) if event.chat_actor else None
    if not stack_packs.post_event(adapters, PACK_NAME, event.name, event.payload, FUNCTION, once, actor):
        logger.info("Slack delivered an event again; sent to Flyte once", extra={"slackEventId": slack_id})


slack = EventsApiPack(
    credentials,
    register,
    send,
    flyte_api=os.environ["FLYTE_API_URL"],  # the stack's own API (template.yaml; the local stack's own address locally)
    pack_name=PACK_NAME,
    api_url=os.environ.get("FLYTE_SLACK_API_URL") or "https://slack.com/api/",
    lambda_client=adapters.aws.client("lambda"),
)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: Any) -> dict:
    return slack(event, context)
