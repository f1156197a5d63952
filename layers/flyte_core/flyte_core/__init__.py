"""flyte_core: the domain of Flyte (flows, packs, actions, templates) and its AWS adapters.

Pure modules (no AWS): settings, ids, web, packs, flows, datastore, execution, templating.
Only ``flyte_core.storage`` talks to DynamoDB and SQS.
"""
