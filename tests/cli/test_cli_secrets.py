"""`flyte secrets list|set|delete` against the local stack (issue 24): the value comes from stdin,
never from the command line, and no command prints it."""

from __future__ import annotations

import json

import pytest

from .conftest import run_flyte

pytestmark = pytest.mark.e2e

VALUE = "cli-value-5b8e0f3a91"


def test_set_from_stdin_list_rotate_delete_and_the_value_is_never_printed(stack):
    def flyte(*args, **kwargs):
        return run_flyte(stack.url, *args, **kwargs)

    created = flyte("secrets", "set", "jira", "-d", "Jira token", "--pack", "Shell", "--label", "env=prod", input=VALUE + "\n")
    assert created.code == 0 and created.stdout.strip() == "Created secret jira (version 1)"
    rotated = flyte("secrets", "set", "jira", "--flow", "deploy", input=VALUE + "-2")
    assert rotated.stdout.strip() == "Rotated secret jira (version 2)"

    listed = json.loads(flyte("secrets", "list", "-o", "json").stdout)["secrets"]
    assert [(s["name"], s["version"], s["scope"]["flows"]) for s in listed] == [("jira", 2, ["deploy"])]
    table = flyte("secrets", "list", "-o", "table").stdout
    assert "jira" in table and "flows=deploy" in table
    empty = flyte("secrets", "set", "other", input="")
    assert empty.code == 1 and "No value" in empty.stderr
    extra = flyte("secrets", "set", "other", "typed-on-the-command-line")  # not an option: refused, nothing set
    assert extra.code == 2 and "extra argument" in extra.stderr

    assert flyte("secrets", "delete", "jira").stdout.strip() == "Deleted secret jira"
    gone = flyte("secrets", "delete", "jira")
    assert gone.code == 1 and "No secret 'jira'" in gone.stderr
    for run in (created, rotated, empty, gone):
        assert VALUE not in run.stdout + run.stderr
