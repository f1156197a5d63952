"""Preloaded by the fork server (runtime.PRELOADED_MODULES): botocore's endpoint and service data,
read once into the botocore session that each environment's main thread starts with (the thread's
session of flyte_core.adapters.aws, which its clients and PynamoDB's connections share). An
environment's first AWS clients then cost 10-13 ms of CPU instead of 70-90 (issue 28).

Data only: no client is made here, so nothing an environment's own variables decide (credentials,
region, endpoints) is read before the environment has them."""

from __future__ import annotations

import sys

from botocore.exceptions import DataNotFoundError

from .application import LAYER

# Each environment puts the layer first on sys.path the same way before its handler's import.
if str(LAYER) not in sys.path:
    sys.path.insert(0, str(LAYER))

from flyte_core.adapters.aws import botocore_session

SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "ssm", "secretsmanager", "scheduler", "lambda")
SDK_DATA = ("endpoints", "partitions", "sdk-default-configuration", "_retry")
SERVICE_DATA = ("service-2", "endpoint-rule-set-1")


def read_botocore_data() -> None:
    loader = botocore_session().get_component("data_loader")
    for name in SDK_DATA:
        loader.load_data(name)
    for service in SERVICES:
        for kind in SERVICE_DATA:
            try:
                loader.load_service_model(service, kind)
            except DataNotFoundError:  # an older botocore without the service
                pass


read_botocore_data()
