"""What `sam local` needs from the project's files: it applies --env-vars only to variables the
template declares, and an empty AWS_ENDPOINT_URL (the template's default) must mean AWS itself."""

import json
import subprocess
from pathlib import Path

import pytest

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


SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
BUILDS_UNDER_SAM_CLI = r"""
import sys, threading, time
from pathlib import Path
from samcli.local.docker.lambda_image import LambdaImage
builds = []
def build(self, base_image, docker_tag, layers, architecture, stream=None):
    time.sleep(0.05)  # long enough for every other thread to arrive while the first builds
    builds.append(docker_tag)
    if docker_tag == "fails-once" and builds.count("fails-once") == 1:
        raise RuntimeError("Building Image failed.")
LambdaImage._build_image = build
sys.path.insert(0, "scripts")
import sam_cli_images_once
sam_cli_images_once.build_each_image_once(Path(sys.argv[1]))
def container(tag):
    try:
        LambdaImage._build_image(object(), "base", tag, [], "x86_64")
    except RuntimeError:
        pass
threads = [threading.Thread(target=container, args=(tag,)) for tag in ["core"] * 8 + ["core-and-slack"] * 4]
for thread in threads: thread.start()
for thread in threads: thread.join()
container("fails-once"); container("fails-once"); container("fails-once")
print(sorted(builds))
"""


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="no .venv-sam (make sam-check installs it)")
def test_the_sam_local_check_builds_each_layer_sets_image_once_and_again_after_a_failed_build(tmp_path):
    """scripts/sam_cli_images_once.py, inside SAM CLI: twelve containers of two layer sets, started
    side by side, build two images; a build that failed is tried again by the next container."""
    result = subprocess.run(
        [str(SAM_PYTHON), "-c", BUILDS_UNDER_SAM_CLI, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == str(["core", "core-and-slack", "fails-once", "fails-once"])
