"""The local stack: template.yaml's API, tables, queues, streams and schedules, run over a moto server.

`sam local` needs Docker; this runs the very same handlers without it, reading everything it
serves from template.yaml so that the local and the deployed stack cannot drift.
"""
