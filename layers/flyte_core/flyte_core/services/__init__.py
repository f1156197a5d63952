"""Use cases: they receive repositories and settings, and never import boto3 or HTTP concerns."""
