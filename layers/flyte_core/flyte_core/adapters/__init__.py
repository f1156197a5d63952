"""Adapters: DynamoDB tables (PynamoDB) and SQS queues, the only modules that talk to AWS.

One module per table or queue kind, named after it (`actions_table`, `pack_queues`...), so call
sites read `actions_table.claim(...)` without aliases.
"""
