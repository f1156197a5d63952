"""The HTTP face: the Powertools resolver, request parsing and negotiation, the one place where
domain errors become problem+json responses, and auth (the policy and token check)."""
