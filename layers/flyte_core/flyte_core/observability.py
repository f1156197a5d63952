"""Logging with correlation ids, tracing and metrics, shared by every function (Powertools)."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# A request that records no metric is normal; Powertools would warn on each one.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
