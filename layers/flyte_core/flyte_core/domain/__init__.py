"""The domain: Flyte's rules and representations as pure code (no AWS, no HTTP framework)."""
