"""Logging with correlation ids, tracing and metrics, shared by every function (Powertools)."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# A request that records no metric is normal; Powertools would warn on each one.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
# Every AWS call goes through a botocore client (PynamoDB's too), so patching botocore traces each
# one once; the default patches a dozen libraries more (sqlite3, requests, PynamoDB's HTTP session,
# which traced DynamoDB calls twice) at the cost of importing them on every cold start.
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
