"""The HTTP face: the Powertools resolver, request parsing and negotiation, and the one place where
domain errors become problem+json responses."""
