"""What each function loads at cold start (issue 10, items 4 and 12): only what its requests use.

Each handler is imported as Lambda imports it - a fresh interpreter, the function's folder and the
layer on sys.path, a Lambda-like environment - and the test reads which modules it loaded. Wall-clock
time would be flaky on a busy machine; `make bench` (bench/bench_cold_start.py) measures the time,
on the `sam build` output. Lazily imported libraries stay out until a request needs them:

* PyYAML: a YAML body or `Accept: application/x-yaml` (and the auth policy, when auth is on);
* Jinja2 and RE2: the step matcher's first match, and the validation of a posted flow;
* fastjsonschema: the validation of a posted flow;
* PyJWT and cryptography: the first request that carries a token;
* the MIME parser (email.policy; http.client loads email.parser itself): a datastore upload.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "flyte_core"
FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
API_FUNCTIONS = [name for name in FUNCTIONS if name not in ("step_matcher", "pack_reaper")]

YAML = "yaml"
TEMPLATES = ("jinja2", "re2", "flyte_core.domain.templating")
SCHEMAS = "fastjsonschema"
TOKENS = ("jwt", "cryptography")
MIME = "email.policy"

# What a request of that function may need, and so what it must not load before one does.
NOT_AT_IMPORT = {name: (YAML, *TEMPLATES, SCHEMAS, *TOKENS, MIME) for name in FUNCTIONS}
# Functions that no request of theirs ever leads to these (they have no HTTP face, or no YAML).
NEVER = {
    "pack_reaper": (YAML, *TEMPLATES, SCHEMAS, *TOKENS, MIME, "aws_lambda_powertools.event_handler", "flyte_core.http"),
    "step_matcher": (YAML, SCHEMAS, *TOKENS, MIME, "aws_lambda_powertools.event_handler", "flyte_core.http"),
    # push delivery (issue 20): cryptography opens the packs' secrets at the first delivery, never before
    "delivery": (YAML, *TEMPLATES, SCHEMAS, *TOKENS, MIME, "aws_lambda_powertools.event_handler", "flyte_core.http"),
}

LIST_MODULES = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
print(json.dumps(sorted(sys.modules)))
"""


def lambda_environment(function: str, **extra: str) -> dict[str, str]:
    """A deployed function's environment as far as imports care (Powertools' tracer on, as with
    Tracing: Active; X-Ray's Lambda mode; no auth unless asked). Bytecode that `make` keeps is read
    (which modules load does not depend on it; compiling them all afresh cost 16 CPU seconds)."""
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        **{name: os.environ[name] for name in ("PYTHONPYCACHEPREFIX",) if name in os.environ},
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),
        "POWERTOOLS_SERVICE_NAME": "flyte",
        "POWERTOOLS_METRICS_NAMESPACE": "Flyte",
        # template.yaml sets these on every function (settings refuse to start without them)
        **{
            f"FLYTE_{name}_TABLE": f"flyte-{name.lower()}"
            for name in ("PACKS", "FLOWS", "FLOW_VERSIONS", "FLOW_TRIGGERS", "DATASTORE", "EVENTS", "ACTIONS")
        },
        "FLYTE_PACK_QUEUE_PREFIX": "flyte-pack-",
        # the Slack function's own (template.yaml, SlackIntegration=true)
        "FLYTE_API_URL": "https://api.example.com/",
        "FLYTE_SLACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:slack",
        **extra,
    }


def loaded_modules(function: str, script: str = LIST_MODULES, **environment: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "functions" / function), str(LAYER)],
        env=lambda_environment(function, **environment),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT / "functions" / function,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


READS_OF_CA_CERTIFICATES = """
import json, ssl, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
reads = []
for name in ("load_default_certs", "load_verify_locations"):
    def counted(self, *args, _original=getattr(ssl.SSLContext, name), _name=name, **kwargs):
        reads.append(_name)
        return _original(self, *args, **kwargs)
    setattr(ssl.SSLContext, name, counted)
import app
print(json.dumps(reads))
"""


@pytest.fixture(scope="module")
def at_import() -> dict[str, set[str]]:
    """Every function's modules after its cold start, the interpreters run side by side."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(FUNCTIONS, pool.map(loaded_modules, FUNCTIONS), strict=True))


def loaded(modules: set[str], names: tuple[str, ...] | str) -> list[str]:
    names = (names,) if isinstance(names, str) else names
    return sorted(module for module in modules for name in names if module == name or module.startswith(name + "."))


def test_a_cold_start_reads_no_ca_certificates():
    """The OIDC issuers' HTTPS opener read the CA bundle at import: 25-30 ms of each API function's cold
    start, for documents most environments never fetch. It is built at the first fetch now."""
    assert loaded_modules("flows", READS_OF_CA_CERTIFICATES) == set()


def test_every_function_is_measured(at_import):
    assert {"audit", "datastore", "flows", "info", "pack_reaper", "pack_runtime", "packs", "step_matcher", "take"} <= set(
        at_import
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_cold_start_loads_no_library_a_request_may_not_need(function, at_import):
    assert loaded(at_import[function], NOT_AT_IMPORT[function]) == []


@pytest.mark.parametrize("function", sorted(NEVER))
def test_functions_without_an_http_face_load_none_of_it(function, at_import):
    assert loaded(at_import[function], NEVER[function]) == []


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_api_functions_trace_aws_calls_only(function, at_import):
    """X-Ray patches botocore alone: not sqlite3, requests, or PynamoDB's HTTP session a second time."""
    modules = at_import[function]
    assert "aws_xray_sdk.ext.botocore" in modules
    assert loaded(modules, ("aws_xray_sdk.ext.sqlite3", "aws_xray_sdk.ext.pynamodb", "aws_xray_sdk.ext.requests")) == []
    if function != "slack":  # slack_bolt imports sqlite3 itself (its OAuth stores); X-Ray leaves it alone there too
        assert loaded(modules, ("sqlite3",)) == []


def test_the_packs_function_loads_the_pipeline_with_the_first_registration_only(at_import):
    """Listing, reading and deleting packs touch neither actions, flows nor the datastore."""
    assert (
        loaded(
            at_import["packs"],
            (
                "flyte_core.services.pipeline",
                "flyte_core.adapters.actions_table",
                "flyte_core.adapters.flows_table",
                "flyte_core.adapters.datastore_table",
            ),
        )
        == []
    )


STEP_RULES = ("flyte_core.services.matching", "flyte_core.services.explain", "flyte_core.domain.execution")


@pytest.mark.parametrize("function", ["audit", "flows"])
def test_the_step_rules_wait_for_a_dry_run(function, at_import):
    """Reading the audit and listing, reading, saving or deleting flows evaluate no step: only the flows
    function's dry runs and replays do, and they load the rules when the first one comes."""
    assert loaded(at_import[function], STEP_RULES) == []


WITH_EVERY_ADAPTER = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
from flyte_core.adapters import Adapters
for name, value in vars(Adapters).items():
    if hasattr(value, "func"):  # a cached_property: build it, as a request's first use does
        getattr(app.adapters, name)
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("function", ["pack_runtime", "take", "packs", "pack_reaper", "datastore", "info"])
def test_functions_that_evaluate_no_step_never_load_the_step_rules(function):
    """An action's life (take, result, expiry, delivery to a new pack) evaluates no step: the pack
    runtime stores events, and the step matcher, reading the stream, decides what they fire. Not at
    cold start, and not with the adapters its requests build (every table and queue)."""
    assert loaded(loaded_modules(function, script=WITH_EVERY_ADAPTER), STEP_RULES) == []


def test_with_auth_on_the_token_libraries_wait_for_the_first_token(tmp_path):
    """Auth on (a policy and an OIDC issuer): the policy is read at cold start, PyJWT is not."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("- path: /health\n  methods: [GET]\n")
    modules = loaded_modules(
        "packs",
        FLYTE_AUTH_POLICY_PATH=str(policy),
        FLYTE_OIDC_ISSUER_URL="https://login.example.com/realms/ops",
        FLYTE_OIDC_ISSUER_CLIENT_ID="flyte",
    )
    assert "flyte_core.http.auth.policy" in modules and YAML in modules
    assert loaded(modules, TOKENS) == []
