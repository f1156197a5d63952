"""Use cases: what the functions do with the domain and the adapters (register a pack, receive an
event, match it to flow steps, take and complete actions, the audit, daily upkeep)."""
