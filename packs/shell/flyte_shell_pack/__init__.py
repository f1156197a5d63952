"""The Flyte Shell pack (contract of ExpediaGroup/flyte-shell) on the flyte_pack SDK."""

from .pack import PACK_NAME, build_pack
from .shell import (
    COMMAND_NAME,
    NO_SCRIPT,
    OUTPUT_EVENT,
    InputError,
    ShellResult,
    ShellSettings,
    env_mode_input,
    make_handler,
    run_script,
    shell_command,
    shell_handler,
)

__all__ = [
    "COMMAND_NAME",
    "NO_SCRIPT",
    "OUTPUT_EVENT",
    "PACK_NAME",
    "InputError",
    "ShellResult",
    "ShellSettings",
    "build_pack",
    "env_mode_input",
    "make_handler",
    "run_script",
    "shell_command",
    "shell_handler",
]
