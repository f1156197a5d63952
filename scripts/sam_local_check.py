"""`make sam-local-check`: `sam local` serves the API over moto, as the README says.

Starts a Docker daemon when none answers (installing docker.io as root where it is missing), makes
sure the Lambda base image exists (scripts/lambda-base-image.sh), starts moto on all interfaces with
the template's tables and queues, invokes every function with its sample event in events/ through
one `sam local start-lambda` (warm containers: one container start per function, not per invocation),
and beside it runs `sam local start-api` and checks /v1, /health and a pack registration over HTTP.
Both run SAM CLI through scripts/sam_cli_images_once.py, which builds the image of each set of
layers once per check instead of once per container (SAM CLI's own way: a rebuild per container).
Everything it started is stopped when it ends, however it ends. Where Docker cannot run at all it
says so in one line and exits 0, so that `make test` passes on such machines.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flyte_local import application  # noqa: E402
from flyte_local.backend import Backend  # noqa: E402
from flyte_local.provision import SAM_LOCAL_PARAMETERS, sam_local_environment  # noqa: E402
from flyte_local.stack import FAKE_CREDENTIALS  # noqa: E402

SAM = ROOT / ".venv-sam" / "bin" / "sam"
# SAM CLI as `sam` runs it, building each set of layers' image once per check, not once per container.
SAM_IMAGES_ONCE = [str(ROOT / ".venv-sam" / "bin" / "python"), str(ROOT / "scripts" / "sam_cli_images_once.py")]
BUILT_TEMPLATE = ROOT / ".aws-sam" / "build" / "template.yaml"
EVENTS = ROOT / "events"
BASE_IMAGE = "public.ecr.aws/lambda/python:3.13-x86_64"  # what SAM CLI runs python3.13 x86_64 functions on
REGION = "us-east-1"
INVOKE_TIMEOUT = 180  # one invoke took 12-63 s on a heavily loaded two-core machine
STARTED_AT = time.monotonic()


class Skip(Exception):
    """Docker cannot run here: not a failure of the project."""


class CheckFailed(Exception):
    pass


def say(message: str) -> None:
    print(f"sam-local-check: {message}", flush=True)


def since(start: float) -> str:
    return f"{time.monotonic() - start:.0f} s"


class Cleanup:
    """What the check started, stopped in reverse order on any exit (a shell script's trap)."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], None]]] = []
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopping = False

    def add(self, name: str, step: Callable[[], None]) -> None:
        self._steps.append((name, step))

    def track(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._running.add(process)

    def untrack(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(process)

    def run(self) -> None:
        with self._lock:
            self.stopping = True  # a lane still running starts nothing more
            running = list(self._running)
        for process in running:  # an interrupted sam local invoke
            stop_process(process, signal.SIGTERM, grace=20)
        while self._steps:
            name, step = self._steps.pop()
            try:
                step()
            except Exception as error:  # keep stopping the rest
                say(f"stopping {name} failed: {error}")


CLEANUP = Cleanup()


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 20) -> None:
    """Signal the process group (its own session) and wait; kill it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def run(command: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess:
    """subprocess.run that the cleanup can interrupt."""
    if CLEANUP.stopping:
        raise CheckFailed("stopped")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs
    )
    CLEANUP.track(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process(process, signal.SIGTERM)
        raise CheckFailed(f"{' '.join(command[:4])} took more than {timeout:.0f} s") from None
    finally:
        CLEANUP.untrack(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(*packages: str) -> None:
    start = time.monotonic()
    say(f"installing {' '.join(packages)} (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise Skip(f"{' '.join(command[:2])} {' '.join(packages)} failed: {result.stderr.strip()[-300:]}")
    say(f"installed {' '.join(packages)} ({since(start)})")


# --- Docker ----------------------------------------------------------------------------------------


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_docker() -> None:
    start = time.monotonic()
    if shutil.which("docker") and docker_answers():
        say("Docker daemon: running")
        return
    can_install = is_root() and shutil.which("apt-get") is not None
    if not shutil.which("dockerd"):
        if not can_install:
            raise Skip("no Docker daemon answers, and installing one needs root and apt-get")
        apt_install("docker.io", "debootstrap")
        start = time.monotonic()
        if docker_answers():  # where an init system runs, the package started the daemon itself
            say("Docker daemon: started by the package")
            return
    if not is_root():
        raise Skip("no Docker daemon answers, and starting dockerd needs root")
    log = open(tempfile.mkstemp(prefix="sam-local-check-dockerd.", suffix=".log")[1], "w+")  # noqa: SIM115 - closed by stop_dockerd
    dockerd = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop_dockerd() -> None:
        stop_process(dockerd, signal.SIGTERM, grace=30)
        log.close()
        os.unlink(log.name)

    CLEANUP.add("dockerd", stop_dockerd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and dockerd.poll() is None:
        if docker_answers():
            say(f"Docker daemon: started in {since(start)} (stopped at the end)")
            return
        time.sleep(1)
    log.seek(0)
    last = ([line.strip() for line in log if line.strip()] or ["no output"])[-1]
    raise Skip(f"dockerd cannot run on this machine ({last[-200:]})")


def ensure_base_image() -> None:
    start = time.monotonic()
    if not shutil.which("debootstrap") and is_root() and shutil.which("apt-get"):
        probe = subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True)
        if probe.returncode != 0:
            apt_install("debootstrap")
    result = run(
        ["bash", str(ROOT / "scripts" / "lambda-base-image.sh")],
        timeout=900,
        # pip downloads the runtime's wheels: the interpreter the venv was made from (uv's venvs have no pip)
        env={**os.environ, "PYTHON": getattr(sys, "_base_executable", sys.executable), "LAMBDA_BASE_IMAGE": BASE_IMAGE},
    )
    if result.returncode != 0:
        raise CheckFailed(f"the Lambda base image could not be made:\n{result.stdout}{result.stderr}")
    say(f"{result.stdout.strip().splitlines()[-1]} ({since(start)})")


def lambda_containers() -> set[str]:
    result = subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=sam.cli.container.type=lambda"], capture_output=True, text=True, timeout=30
    )
    return set(result.stdout.split())


# --- moto ------------------------------------------------------------------------------------------


def start_moto(workdir: Path) -> Path:
    """moto on all interfaces (the containers reach it through the Docker bridge), provisioned;
    returns the --env-vars file that points the functions at it."""
    moto = subprocess.Popen(
        [sys.executable, "-m", "flyte_local.moto_server", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    CLEANUP.add("moto", lambda: stop_process(moto))
    assert moto.stdout is not None  # stdout=PIPE
    line = moto.stdout.readline()
    if not line.startswith("listening on "):
        raise CheckFailed(f"moto did not start: {line!r}")
    endpoint = f"http://127.0.0.1:{int(line.split()[-1])}"
    for key, value in FAKE_CREDENTIALS.items():  # moto takes any; a developer's real ones may stay
        os.environ.setdefault(key, value)
    app = application.load(endpoint, SAM_LOCAL_PARAMETERS)  # the optional Slack pack's secret too
    Backend(endpoint).create_resources(app)
    env_file = workdir / "env.json"
    env_file.write_text(json.dumps(sam_local_environment(app, endpoint)), encoding="utf-8")
    say(f"moto on {endpoint} (all interfaces): {len(app.tables)} tables, {len(app.queues)} queues")
    return env_file


# --- sam local -------------------------------------------------------------------------------------


def sam_options(env_file: Path) -> list[str]:
    return [
        "--template",
        str(BUILT_TEMPLATE),
        "--skip-pull-image",
        "--env-vars",
        str(env_file),
        "--add-host",
        "host.docker.internal:host-gateway",
        "--region",
        REGION,
        # a cold start counts in sam local's timeout: room for a busy machine
        "--parameter-overrides",
        "LogLevel=WARNING FunctionTimeout=28 SlackIntegration=true",
    ]


def built_images(workdir: Path) -> Path:
    """Where scripts/sam_cli_images_once.py marks the images it built (made after `sam build`, so an
    image marked there holds this build's layers)."""
    return workdir / "images"


def sam_environment(workdir: Path) -> dict[str, str]:
    built_images(workdir).mkdir(exist_ok=True)
    return {
        **os.environ,
        **FAKE_CREDENTIALS,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "SAM_CLI_TELEMETRY": "0",
        "FLYTE_SAM_BUILT_IMAGES": str(built_images(workdir)),
    }


LAMBDA_ENDPOINT: list[str] = []  # sam local start-lambda's address, once it listens


def start_lambda(env_file: Path, workdir: Path) -> None:
    """One `sam local start-lambda` for every invocation, its containers kept warm (LAZY: each
    function's starts at its first invocation and serves the later ones): one SAM CLI start and one
    container per function, where `sam local invoke` paid both for every invocation."""
    start = time.monotonic()
    port, _ = start_sam_server("start-lambda", env_file, workdir)
    LAMBDA_ENDPOINT.append(f"http://127.0.0.1:{port}")
    say(f"sam local start-lambda on {LAMBDA_ENDPOINT[0]} ({since(start)})")


def start_sam_server(command: str, env_file: Path, workdir: Path) -> tuple[int, Any]:
    """`sam local <command>` (start-lambda or start-api) on a free port, its containers kept warm
    (LAZY), stopped at cleanup; returns its port and its log (open) once it listens."""
    port = free_port()
    if CLEANUP.stopping:
        raise CheckFailed("stopped")
    log = open(workdir / f"{command}.log", "w+")  # noqa: SIM115 - the server's log, open while it runs
    server = subprocess.Popen(
        [
            *SAM_IMAGES_ONCE,
            "local",
            command,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--warm-containers",
            "LAZY",
            *sam_options(env_file),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=sam_environment(workdir),
        start_new_session=True,
    )
    CLEANUP.add(f"sam local {command}", lambda: stop_process(server, signal.SIGTERM, grace=30))
    wait_until_listening(server, port, log, command)
    return port, log


def wait_until_listening(server: subprocess.Popen, port: int, log: Any, name: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if CLEANUP.stopping:
            raise CheckFailed("stopped")
        if server.poll() is not None:
            log.seek(0)
            raise CheckFailed(f"sam local {name} exited {server.returncode}:\n{log.read()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                log.seek(0)
                raise CheckFailed(f"sam local {name} did not listen within 120 s:\n{log.read()[-3000:]}") from None
            time.sleep(0.5)


def invoke(function: str, event: Path, env_file: Path) -> Any:
    """The function with the event, through sam local start-lambda's Lambda Invoke API (as
    `aws lambda invoke --endpoint-url` would); its answer, or the check fails naming the function."""
    start = time.monotonic()
    if CLEANUP.stopping:
        raise CheckFailed("stopped")
    request = urllib.request.Request(
        f"{LAMBDA_ENDPOINT[0]}/2015-03-31/functions/{function}/invocations", data=event.read_bytes(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=INVOKE_TIMEOUT) as answer:
            failed, raw = answer.headers.get("X-Amz-Function-Error"), answer.read()
    except urllib.error.HTTPError as error:
        raise CheckFailed(f"invoke {function} -e {event.name}: {error.code} {error.read()[:2000]!r}") from None
    except (OSError, urllib.error.URLError) as error:
        raise CheckFailed(f"invoke {function} -e {event.name}: {error}") from None
    try:
        response = json.loads(raw)
    except json.JSONDecodeError:
        raise CheckFailed(f"invoke {function} -e {event.name} answered {raw[:2000]!r}") from None
    if failed:
        raise CheckFailed(f"invoke {function} -e {event.name}: the function failed ({failed}): {json.dumps(response)[:3000]}")
    say(f"sam local start-lambda: invoke {function} -e {event.name}: {summary(response)} ({since(start)})")
    return response


def summary(response: Any) -> str:
    return str(response["statusCode"]) if isinstance(response, dict) and "statusCode" in response else json.dumps(response)


def expect(condition: bool, what: str, response: Any) -> None:
    if not condition:
        raise CheckFailed(f"{what}; got {json.dumps(response)[:2000]}")


def expect_status(response: Any, status: int, what: str) -> dict:
    expect(isinstance(response, dict) and response.get("statusCode") == status, f"{what}: expected {status}", response)
    return json.loads(response["body"]) if response.get("body") else {}


PACKS_REGISTERED = threading.Event()  # over HTTP by the API lane; the pipeline's event needs them


def invoke_pipeline(env_file: Path) -> None:
    """The quick start's first step through the stream, as tests/integration/test_sample_events.py
    does in-process: flow, (packs, over HTTP), event, match, take, audit."""
    expect_status(invoke("FlowsFunction", EVENTS / "flows-post-yaml.json", env_file), 201, "post the sample flow")
    registered = expect_status(invoke("PacksFunction", EVENTS / "packs-register.json", env_file), 201, "register")
    expect(registered.get("id") == "Shell.env.dev", "the sample registers Shell.env.dev", registered)
    while not PACKS_REGISTERED.wait(timeout=1):
        if CLEANUP.stopping:
            raise CheckFailed("stopped")
    expect_status(invoke("PackRuntimeFunction", EVENTS / "pack-runtime-post-event.json", env_file), 202, "post Slack's event")
    matched = invoke("StepMatcherFunction", EVENTS / "step-matcher-stream-batch.json", env_file)
    expect(matched == {"batchItemFailures": []}, "the step matcher must take the stream batch", matched)
    authorized = invoke("ReadyAuthorizerFunction", EVENTS / "ready-authorizer.json", env_file)  # issue 21: the ready poll
    expect(
        isinstance(authorized, dict) and authorized.get("isAuthorized") is True and "queueUrl" in authorized.get("context", {}),
        "the ready poll's authorizer grants Shell its queue",
        authorized,
    )
    action = expect_status(invoke("TakeFunction", EVENTS / "take.json", env_file), 200, "Shell takes the action the event caused")
    expect(action.get("command") == "Shell", "the action is a Shell command", action)
    found = expect_status(invoke("AuditFunction", EVENTS / "audit-find-flows.json", env_file), 200, "audit")
    expect(len(found.get("flows", [])) == 1, "the audit lists the one execution", found)


def invoke_the_others(env_file: Path) -> None:
    expect_status(invoke("InfoFunction", EVENTS / "info-get-v1.json", env_file), 200, "GET /v1")
    expect_status(invoke("DatastoreFunction", EVENTS / "datastore-put.json", env_file), 201, "PUT a datastore item")
    revoked = expect_status(invoke("TokensFunction", EVENTS / "tokens-revoke.json", env_file), 201, "revoke a token")
    expect(revoked.get("jti") == "0f8e2c1d9b7a4e6f8a1b2c3d4e5f6a7b", "the revocation names the token id", revoked)
    stored = expect_status(invoke("SecretsFunction", EVENTS / "secrets-put.json", env_file), 201, "set a secret")  # issue 24
    expect(stored.get("name") == "jira-token" and "value" not in stored, "the secret is named, its value never shown", stored)
    kept = invoke("DeliveryFunction", EVENTS / "delivery-sqs-batch.json", env_file)  # issue 20: push delivery
    expect(kept == {"batchItemFailures": []}, "a delivery for an action that is gone is done with", kept)
    # the Slack pack in the stack: it loads (its layer: slack_bolt, the SDK), reads its secret in
    # moto, and tells Slack its credentials are not set yet (no Slack to check them against here)
    waiting = expect_status(invoke("SlackFunction", EVENTS / "slack-events-url-verification.json", env_file), 503, "Slack")
    expect("credentials" in waiting.get("error", ""), "the Slack function says its credentials are not set", waiting)
    # issue 22: a schedule saved in the stack's EventBridge Scheduler group (moto), and one firing of it
    # (the input EventBridge Scheduler sends, its scheduled time this minute) stored as one event
    saved = expect_status(invoke("SchedulesFunction", EVENTS / "schedules-put.json", env_file), 201, "save a schedule")
    expect(len(saved.get("nextFireTimes", [])) == 5, "a saved schedule shows its next fire times", saved)
    firing = json.loads((EVENTS / "schedule-fire.json").read_text(encoding="utf-8"))
    firing["scheduledTime"] = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime())
    due = env_file.parent / "schedule-fire-now.json"
    due.write_text(json.dumps(firing), encoding="utf-8")
    fired = invoke("ScheduleFireFunction", due, env_file)
    expect(
        isinstance(fired, dict) and fired.get("fired") is True and bool(fired.get("eventId")), "a firing stores its event", fired
    )
    # issue 22: a GitHub webhook (its secret set by the admin, as the signed sample needs) and a push
    # from GitHub's documentation, signed with it: stored as an event (202, its trace's location)
    hook = expect_status(invoke("HooksFunction", EVENTS / "hooks-create.json", env_file), 201, "create a webhook")
    expect(hook.get("url", "").endswith("/v1/hooks/github"), "a new hook says where GitHub must post", hook)
    received = invoke("HooksFunction", EVENTS / "hooks-receive-github-push.json", env_file)
    expect(summary(received) == "202", "a signed push is accepted", received)
    report = invoke("PackReaperFunction", EVENTS / "pack-reaper-schedule.json", env_file)
    expect(isinstance(report, dict) and report.get("deadPacksRemoved") == [], "the reaper removes no live pack", report)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body: dict | None = None) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Accept": "application/json", "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, dict(error.headers), error.read()
    if raw.strip() and "json" in (headers.get("Content-Type") or headers.get("content-type") or ""):
        return status, headers, json.loads(raw)
    return status, headers, raw.decode("utf-8", "replace") if raw.strip() else None


def start_api_checks(env_file: Path, workdir: Path) -> None:
    """/v1, /health, the web console's page and a module, registering the sample flow's packs and
    listing them, through sam local start-api."""
    start = time.monotonic()
    port, log = start_sam_server("start-api", env_file, workdir)
    base = f"http://127.0.0.1:{port}"

    def failed(message: str) -> CheckFailed:
        log.seek(0)
        return CheckFailed(f"{message}\n--- sam local start-api:\n{log.read()[-3000:]}")

    say(f"sam local start-api on {base} ({since(start)})")

    def check(method: str, path: str, status: int, body: dict | None = None) -> tuple[dict[str, str], Any]:
        began = time.monotonic()
        got, headers, document = http(method, base + path, body)
        if got != status:
            raise failed(f"{method} {path}: expected {status}, got {got} {json.dumps(document)[:1000]}")
        say(f"{method} {path}{' ' + json.dumps(body) if body else ''}: {got} ({since(began)})")
        return headers, document

    _, links = check("GET", "/v1", 200)
    expect(
        any(link["href"] == f"{base}/v1" and link["rel"] == "self" for link in links["links"]),
        "/v1 links itself at the address asked",
        links,
    )
    check("GET", "/health", 200)
    headers, page = check("GET", "/console/", 200)
    named = {key.lower(): value for key, value in headers.items()}
    expect("default-src 'none'" in named.get("content-security-policy", ""), "the console's page has its CSP", headers)
    expect(f'content="{base}/"' in page, "the console's page names the API it was served from", page[:400])
    headers, module = check("GET", "/console/app.js", 200)
    named = {key.lower(): value for key, value in headers.items()}
    expect(named.get("content-type", "").startswith("text/javascript"), "the console's modules are JavaScript", headers)
    expect("render(" in module, "the console's module arrives as its text", module[:400])
    for name in ("Slack", "Shell"):  # the sample flow's packs, unlabelled
        headers, _ = check("POST", "/v1/packs", 201, {"name": name})
        expect(headers.get("Location") == f"{base}/v1/packs/{name}", f"{name}'s Location", headers)
    PACKS_REGISTERED.set()
    _, listed = check("GET", "/v1/packs", 200)
    expect({"Slack", "Shell"} <= {p.get("id") for p in listed.get("packs", [])}, "GET /v1/packs lists them", listed)
    say(f"sam local start-api: every request answered ({since(start)})")


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not BUILT_TEMPLATE.exists() or not SAM.exists():
        say("skipped: no `sam build` output (make sam-check builds it where python3.13 is found)")
        return 0
    with tempfile.TemporaryDirectory(prefix="sam-local-check.") as tmp:
        workdir = Path(tmp)
        try:
            ensure_docker()
            before = lambda_containers()
            CLEANUP.add("Lambda containers", lambda: remove_containers(lambda_containers() - before))
            ensure_base_image()
            env_file = start_moto(workdir)
            start = time.monotonic()

            # Two lanes: the API, then the independent functions; start-lambda, then the pipeline (its
            # steps depend on each other). The independent functions' invocations need start-lambda too.
            lambda_listening = threading.Event()

            def api_then_the_others() -> None:
                start_api_checks(env_file, workdir)
                while not lambda_listening.wait(timeout=1):
                    if CLEANUP.stopping:
                        raise CheckFailed("stopped")
                invoke_the_others(env_file)

            def start_lambda_then_the_pipeline() -> None:
                start_lambda(env_file, workdir)
                lambda_listening.set()
                invoke_pipeline(env_file)

            lanes = ThreadPoolExecutor(max_workers=2)
            running = [lanes.submit(start_lambda_then_the_pipeline), lanes.submit(api_then_the_others)]
            lanes.shutdown(wait=False)
            wait(running, return_when=FIRST_EXCEPTION)
            for lane in running:
                lane.result()  # the first failure ends the check; the cleanup stops the other lane
            say(
                f"passed: every function through sam local start-lambda and the API through start-api in {since(start)}, "
                f"{since(STARTED_AT)} in all ({len(list(built_images(workdir).iterdir()))} function images built, "
                f"for {len(lambda_containers() - before)} containers)"
            )
            return 0
        except Skip as reason:
            say(f"skipped: {reason}")
            return 0
        except CheckFailed as error:
            say(f"FAILED: {error}")
            return 1
        except Exception:  # a broken check still stops what it started
            say(f"FAILED:\n{traceback.format_exc()}")
            return 1
        finally:
            CLEANUP.run()


def remove_containers(ids: set[str]) -> None:
    if ids:
        subprocess.run(["docker", "rm", "-f", *sorted(ids)], capture_output=True, timeout=60)


if __name__ == "__main__":
    sys.exit(main())
