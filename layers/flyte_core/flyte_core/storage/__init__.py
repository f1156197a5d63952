"""Repositories over DynamoDB (PynamoDB) and SQS: the only modules that talk to AWS."""
