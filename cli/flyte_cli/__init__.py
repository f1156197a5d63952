"""The `flyte` command line: talks to a Flyte API through the links of `/v1`."""

from importlib import metadata

try:  # the distribution's version (cli/pyproject.toml), which tests/unit/test_version.py keeps the release's
    __version__ = metadata.version("flyte-cli")
except metadata.PackageNotFoundError:  # pragma: no cover - imported from a source tree that was never installed
    __version__ = "0+unknown"
