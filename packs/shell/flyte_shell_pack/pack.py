"""The Shell pack definition."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flyte_pack import Pack

from .shell import ShellSettings, shell_command

log = logging.getLogger("flyte_shell_pack")

PACK_NAME = "Shell"
HELP_URL = "https://github.com/ExpediaGroup/flyte-shell/blob/master/README.md"
# FLYTE_API is the flyte-client variable; FLYTE_API_URL is the one flyte-shell read.
API_ENV_NAMES = ("FLYTE_API", "FLYTE_API_URL")


def build_pack(env: Mapping[str, str] | None = None, settings: ShellSettings | None = None, **pack_kwargs: Any) -> Pack:
    """The Shell pack, configured from ``env`` (default ``os.environ``) and keyword arguments
    of :class:`flyte_pack.Pack` (which win over the environment)."""
    env = os.environ if env is None else env
    if (
        env.get("FLYTE_API")
        and env.get("FLYTE_API_URL")
        and env["FLYTE_API"] != env["FLYTE_API_URL"]
        and "api_url" not in pack_kwargs
    ):
        log.warning("both FLYTE_API (%s) and FLYTE_API_URL (%s) are set; using FLYTE_API", env["FLYTE_API"], env["FLYTE_API_URL"])
    settings = settings or ShellSettings.from_env(env)
    pack_kwargs.setdefault("help_url", HELP_URL)
    pack = Pack(PACK_NAME, commands=[shell_command(settings)], env=env, api_env_names=API_ENV_NAMES, **pack_kwargs)
    log.info(
        "Shell pack: script timeout %s, output cap %s per stream",
        f"{settings.timeout:g} s" if settings.timeout else "none",
        f"{settings.max_output} bytes" if settings.max_output else "none",
    )
    return pack
