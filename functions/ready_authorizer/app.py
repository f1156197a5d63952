"""The authorizer of a pack's ready long poll (issue 21): GET /v1/packs/{packId}/actions/ready.

API Gateway itself waits on the pack's queue for that route (an SQS-ReceiveMessage service
integration: no function parked); this function tells it which queue, and whether the caller may
take that pack's actions (flyte_core.http.ready). API Gateway caches the answer (template.yaml).
"""

from flyte_core.adapters import Adapters
from flyte_core.http.auth.environment import environment_guard
from flyte_core.http.ready import authorize
from flyte_core.observability import logger
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
adapters = Adapters(settings)
environment_guard()  # a broken auth configuration stops the cold start, as in every API function


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context) -> dict:
    return authorize(adapters, event)
