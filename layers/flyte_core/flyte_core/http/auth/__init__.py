"""Authentication and authorisation of API requests (api-contract §9): the policy file, token verification,
the stack's own token issuer, and the check every API function runs before routing."""
