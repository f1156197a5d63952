"""Named profiles: `--profile prod` instead of repeating `--api` and `--token`.

The file is YAML, `$FLYTE_CONFIG` or `<app dir>/config.yaml` (`~/.config/flyte/config.yaml` on Linux):

    default: local              # the profile used when none is named (optional)
    profiles:
      local: {api: http://localhost:8080}
      prod: {api: https://abc.execute-api.eu-west-1.amazonaws.com, token: eyJ...}

Options and environment variables win over the profile, the profile over the built-in default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
import yaml

from .api import DEFAULT_API, TIMEOUT_SECONDS, Api, CliFailure


def config_path() -> Path:
    return Path(os.environ.get("FLYTE_CONFIG") or Path(typer.get_app_dir("flyte")) / "config.yaml")


def load(name: str | None) -> dict[str, Any]:
    """The named profile (or the file's default); {} when there is no file and no name."""
    path = config_path()
    if not path.exists():
        if name:
            raise CliFailure(f"No profile {name!r}: {path} does not exist.")
        return {}
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise CliFailure(f"Cannot read {path}: {error}") from None
    profiles = config.get("profiles") or {} if isinstance(config, dict) else {}
    chosen = name or config.get("default")
    if not chosen:
        return {}
    if chosen not in profiles:
        raise CliFailure(f"No profile {chosen!r} in {path} (it has: {', '.join(profiles) or 'none'}).")
    return profiles[chosen] or {}


def connect(api: str | None, token: str | None, profile: str | None, timeout: float = TIMEOUT_SECONDS) -> Api:
    """The API the global options, their environment variables and the profile point at."""
    chosen = load(profile)
    return Api(api or chosen.get("api") or DEFAULT_API, token or chosen.get("token"), timeout)
