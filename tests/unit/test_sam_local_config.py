"""What `sam local` needs from the project's files: it applies --env-vars only to variables the
template declares, and an empty AWS_ENDPOINT_URL (the template's default) must mean AWS itself."""

import json
from pathlib import Path

from flyte_core.adapters.aws import Aws
from flyte_core.settings import AwsAccess
from flyte_local import application
from flyte_local.cfn import load_template
from flyte_local.provision import SAM_LOCAL_PARAMETERS, container_endpoint, sam_local_environment

ROOT = Path(__file__).resolve().parents[2]


def sam_local_env() -> dict:
    return json.loads((ROOT / "sam-local-env.json").read_text(encoding="utf-8"))["Parameters"]


def test_every_variable_in_sam_local_env_is_declared_by_the_template():
    template = load_template(application.TEMPLATE)
    declared = template["Globals"]["Function"]["Environment"]["Variables"]
    own = {  # a function's own variables (the Slack function's: its secret, the API's address)
        name
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for name in resource["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert set(sam_local_env()) <= set(declared) | own
    assert declared["AWS_ENDPOINT_URL"] == ""


def test_sam_local_env_names_what_the_provisioner_creates():
    endpoint = "http://localhost:5000"
    assert sam_local_env() == sam_local_environment(application.load(endpoint, SAM_LOCAL_PARAMETERS), endpoint)["Parameters"]


def test_the_local_stack_fills_the_declared_endpoint_with_its_own():
    app = application.load("http://127.0.0.1:4566")
    assert {f.environment["AWS_ENDPOINT_URL"] for f in app.functions.values()} == {"http://127.0.0.1:4566"}


def test_containers_reach_the_hosts_loopback_through_host_docker_internal():
    assert container_endpoint("http://localhost:5000") == "http://host.docker.internal:5000"
    assert container_endpoint("http://127.0.0.1:5101/") == "http://host.docker.internal:5101/"
    assert container_endpoint("http://dynamodb-local:8000") == "http://dynamodb-local:8000"


def test_an_empty_endpoint_means_aws(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")  # botocore reads it too: the empty value must not reach it
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    aws = Aws(AwsAccess.from_environ({"AWS_ENDPOINT_URL": "", "AWS_REGION": "eu-west-1"}))
    assert aws.pynamodb_meta("packs").host is None
    for service in ("dynamodb", "sqs"):
        endpoint = aws.client(service).meta.endpoint_url
        assert endpoint.startswith(f"https://{service}.") and endpoint.endswith(".amazonaws.com")
