"""Configuration of the pack SDK: the environment rules of flyte-client (api-contract §12.1)."""

from __future__ import annotations

import pytest

from flyte_pack import Command, Config, ConfigError, Event, EventDef, Pack, parse_labels, parse_timeout
from flyte_pack.client import api_root_v1, with_query
from flyte_pack.config import default_poll_wait


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, {}),
        ("", {}),
        ("env=prod", {"env": "prod"}),
        (" env = prod , team=sre ", {"env": "prod", "team": "sre"}),
        ("expr=a=b", {"expr": "a=b"}),  # split on the first '=' only
        ("empty=", {"empty": ""}),
    ],
)
def test_labels_are_parsed_like_flyte_client(raw, expected):
    assert parse_labels(raw) == expected


@pytest.mark.parametrize("raw", ["env", "env=prod,team", "env=prod,", ","])
def test_malformed_labels_are_an_error_naming_the_variable(raw):
    with pytest.raises(ConfigError, match="FLYTE_LABELS"):
        parse_labels(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, 10.0),
        ("", 10.0),
        ("30", 30.0),
        ("+7", 7.0),
        ("0", None),
    ],
)
def test_api_timeout_whole_seconds_default_10_and_0_means_none(raw, expected):
    assert parse_timeout(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "abc", "1.5", " 5", "5s", "1_0"])
def test_negative_or_non_integer_timeout_is_an_error(raw):
    with pytest.raises(ConfigError, match="FLYTE_API_TIMEOUT"):
        parse_timeout(raw)


def test_from_env_reads_every_flyte_client_variable():
    config = Config.from_env(
        {"FLYTE_API": "https://flyte.example.com/base", "FLYTE_LABELS": "env=dev", "FLYTE_JWT": "t0k", "FLYTE_API_TIMEOUT": "0"}
    )
    assert config.api_url == "https://flyte.example.com/base"
    assert config.labels == {"env": "dev"}
    assert config.jwt == "t0k"
    assert config.timeout is None
    assert config.effective_poll_wait == 20  # no timeout: the server's maximum long poll


@pytest.mark.parametrize("env", [{}, {"FLYTE_API": ""}, {"FLYTE_API": "not a url"}, {"FLYTE_API": "ftp://host"}])
def test_missing_or_invalid_api_url_is_an_error(env):
    with pytest.raises(ConfigError, match="FLYTE_API"):
        Config.from_env(env)


def test_first_set_api_variable_wins():
    env = {"FLYTE_API_URL": "http://old:8080"}
    config = Config.from_env(env, api_env_names=("FLYTE_API", "FLYTE_API_URL"))
    assert config.api_url == "http://old:8080"
    env["FLYTE_API"] = "http://new:8080"
    assert Config.from_env(env, api_env_names=("FLYTE_API", "FLYTE_API_URL")).api_url == "http://new:8080"


def test_arguments_override_the_environment_without_parsing_it():
    env = {"FLYTE_API": "http://env:1", "FLYTE_LABELS": "broken", "FLYTE_API_TIMEOUT": "-3"}
    config = Config.from_env(env, api_url="http://arg:2", labels={"a": "b"}, timeout=4)
    assert (config.api_url, config.labels, config.timeout) == ("http://arg:2", {"a": "b"}, 4)
    assert Config.from_env(env, api_url="http://arg:2", labels={}, timeout=0).timeout is None


def test_the_token_is_never_shown_in_the_configuration():
    assert "s3cr3t" not in repr(Config(api_url="http://h", jwt="s3cr3t"))


@pytest.mark.parametrize("timeout, wait", [(10, 5), (30, 15), (60, 20), (3, 1), (1, 0), (None, 20)])
def test_long_poll_wait_stays_below_the_http_timeout(timeout, wait):
    assert default_poll_wait(timeout) == wait


def test_explicit_poll_wait_is_capped_below_the_timeout():
    assert Config(api_url="http://h", timeout=5, poll_wait=20).effective_poll_wait == 4
    with pytest.raises(ConfigError):
        Config(api_url="http://h", poll_wait=21)


@pytest.mark.parametrize("raw", ["0", "-2", "x"])
def test_invalid_concurrency_is_an_error(raw):
    with pytest.raises(ConfigError):
        Config.from_env({"FLYTE_API": "http://h", "FLYTE_PACK_CONCURRENCY": raw})


@pytest.mark.parametrize(
    "api, v1",
    [
        ("http://h:8080", "http://h:8080/v1"),
        ("http://h:8080/", "http://h:8080/v1"),
        ("https://h/prefix/", "https://h/prefix/v1"),
        ("https://h/a/b?x=1", "https://h/a/b/v1?x=1"),
    ],
)
def test_discovery_starts_at_flyte_api_slash_v1(api, v1):
    assert api_root_v1(api) == v1


def test_take_url_keeps_its_own_query_and_adds_wait():
    assert with_query("http://h/take?actionName=X", wait=5) == "http://h/take?actionName=X&wait=5"


def test_pack_configuration_errors_surface_at_construction():
    with pytest.raises(ConfigError, match="FLYTE_API"):
        Pack("P", env={})


def test_registration_body_is_the_union_of_command_and_declared_events():
    pack = Pack(
        "Slack",
        commands=[
            Command(
                "SendMessage",
                handler=lambda i: Event("MessageSent"),
                output_events=["MessageSent", EventDef("SendMessageFailed", "http://h/f")],
                help_url="http://h/send",
            )
        ],
        events=[EventDef("ReceivedMessage"), "MessageSent"],
        help_url="http://h/README.md",
        env={"FLYTE_API": "http://api", "FLYTE_LABELS": "env=prod"},
    )
    assert pack.definition() == {
        "name": "Slack",
        "labels": {"env": "prod"},
        "events": [
            {"name": "MessageSent"},
            {"name": "SendMessageFailed", "links": [{"href": "http://h/f", "rel": "help"}]},
            {"name": "ReceivedMessage"},
        ],
        "commands": [
            {
                "name": "SendMessage",
                "events": ["MessageSent", "SendMessageFailed"],
                "links": [{"href": "http://h/send", "rel": "help"}],
            }
        ],
        "links": [{"href": "http://h/README.md", "rel": "help"}],
    }


def test_duplicate_commands_are_rejected():
    cmd = Command("X", handler=lambda i: Event("Y"))
    with pytest.raises(ValueError, match="twice"):
        Pack("P", commands=[cmd, cmd], env={"FLYTE_API": "http://api"})
