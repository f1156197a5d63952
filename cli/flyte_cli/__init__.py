"""The `flyte` command line: talks to a Flyte API through the links of `/v1`."""

__version__ = "0.1.0"
