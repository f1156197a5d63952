"""Cold start (issue 10): how long each function's handler module takes to import, as in Lambda.

    python bench/bench_cold_start.py [--samples 7] [--build-dir .aws-sam/build] [--before OTHER_BUILD]

Measured on the `sam build` output (`make sam-check` writes it): each sample is a fresh Python 3.13
interpreter whose sys.path is the one Lambda gives a function - its code, then the layer
(`/opt/python`), then the runtime's own boto3 and botocore - and that imports the handler module
with bytecode writing off (PYTHONDONTWRITEBYTECODE), so the artifacts are read as shipped and no
sample warms the next. The environment is a deployed function's (AWS_LAMBDA_FUNCTION_NAME set, so
the Powertools tracer is on as with `Tracing: Active`, and auth is on as in the default deployment).
Every function sample follows a sample of a bare `import boto3` (on the runtime's SDK alone), so
load on the machine hits both alike; the table
gives medians and the ratio to the baseline's median. `--before` measures a second build (say, of the
previous commit) in the same rounds, against the same baseline.

The runtime's SDK is emulated by `pip install --target` of the boto3 the layer pins into
.aws-sam/lambda-runtime (bytecode compiled, as the runtime ships it). The sizes are of each built
artifact, as unpacked in Lambda and as a zip. Not a test: it prints figures
(tests/unit/test_import_budget.py guards what each function imports).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = """
import sys, time
sys.path[:0] = {paths!r}
start, start_cpu = time.perf_counter(), time.process_time()
import {module}
print((time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000)
"""
# The function-level environment template.yaml gives every function (values need not be real:
# nothing is called at import).
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "flyte",
    "POWERTOOLS_METRICS_NAMESPACE": "Flyte",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "PYTHONDONTWRITEBYTECODE": "1",
    "LANG": "C.UTF-8",
    # template.yaml sets these on every function (settings refuse to start without them)
    **{
        f"FLYTE_{name}_TABLE": f"flyte-{name.lower()}"
        for name in ("PACKS", "FLOWS", "FLOW_VERSIONS", "FLOW_TRIGGERS", "DATASTORE", "EVENTS", "ACTIONS")
    },
    "FLYTE_PACK_QUEUE_PREFIX": "flyte-pack-",
    # The default deployment: auth on, the policy in SSM and the built-in issuer (both read by the
    # first request, not at import; the guard and its modules are built at cold start).
    "FLYTE_AUTH_POLICY_PATH": "ssm:/flyte/auth-policy",
    "FLYTE_TOKEN_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:flyte-token-secret",
}


def lambda_python() -> str:
    """The Lambda runtime's Python (3.13: the layer's compiled extensions and bytecode are for it)."""
    for candidate in (os.environ.get("LAMBDA_PYTHON"), shutil.which("python3.13"), sys.executable):
        if (
            candidate
            and subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"], capture_output=True
            ).returncode
            == 0
        ):
            return candidate
    print("bench_cold_start: skipped, no python3.13 here (the Lambda runtime; `make sam-check` skips the build too)")
    sys.exit(0)


def runtime_sdk(python: str, build_dir: Path) -> Path:
    """boto3 and botocore as the Lambda runtime has them: outside the layer, bytecode compiled."""
    pin = re.search(r"^boto3==(\S+)", (ROOT / "layers" / "flyte_core" / "requirements.txt").read_text(), re.M)
    version = pin.group(1) if pin else None
    target = build_dir.parent / "lambda-runtime"
    stamp = target / f".boto3-{version}"
    if not stamp.exists():
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(target),
                f"boto3=={version}" if version else "boto3",
            ],
            check=True,
        )
        stamp.touch()
    return target


def functions(build_dir: Path) -> dict[str, tuple[Path, str, dict[str, str]]]:
    """name -> (code dir, handler module, function-specific environment), from the built template."""
    template = (build_dir / "template.yaml").read_text()
    found: dict[str, tuple[Path, str, dict[str, str]]] = {}
    for directory in sorted(build_dir.iterdir()):
        if not (directory / "app.py").is_file():
            continue
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", directory.name.removesuffix("Function")).lower()
        found[name] = (
            directory,
            "app",
            {"AWS_LAMBDA_FUNCTION_NAME": directory.name, "LAMBDA_TASK_ROOT": str(directory), "_HANDLER": "app.lambda_handler"},
        )
    if not found or "FlyteCoreLayer" not in template:
        sys.exit(f"bench_cold_start: no built functions in {build_dir}; run `make sam-check` first")
    return found


def sample(python: str, paths: list[str], module: str, extra_env: dict[str, str]) -> tuple[float, float]:
    """Milliseconds the import took: on the clock (what a cold start costs) and on the CPU (the
    interpreter's own work, which other load on the machine does not lengthen)."""
    environment = {"PATH": os.environ.get("PATH", ""), **LAMBDA_ENVIRONMENT, **extra_env}
    # -s -S: no user or interpreter site-packages, as /var/lang has none that matter in Lambda.
    result = subprocess.run(
        [python, "-s", "-S", "-c", SAMPLE.format(paths=paths, module=module)],
        env=environment,
        capture_output=True,
        text=True,
        cwd=paths[0],
    )
    if result.returncode != 0:
        sys.exit(f"bench_cold_start: importing {module} from {paths[0]} failed:\n{result.stderr}")
    wall, cpu = result.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="BUILD_DIR",
        help="another `sam build` output (an older commit's) to measure in the same rounds",
    )
    args = parser.parse_args()

    python = lambda_python()
    builds = {"after": args.build_dir.resolve()}
    if args.before:
        builds = {"before": args.before.resolve(), **builds}
    targets = {build: functions(directory) for build, directory in builds.items()}
    runtime = str(runtime_sdk(python, builds["after"]))

    # Each function sample right after a baseline sample, so that a change of load hits both alike.
    timings: dict[tuple[str, str], list[tuple[float, float]]] = {("", "boto3"): []}
    for _ in range(args.samples):
        for build, directory in builds.items():
            layer = str(directory / "FlyteCoreLayer" / "python")
            for name, (code, module, extra_env) in targets[build].items():
                timings[("", "boto3")].append(sample(python, [runtime], "boto3", {"AWS_LAMBDA_FUNCTION_NAME": "baseline"}))
                timings.setdefault((build, name), []).append(sample(python, [str(code), layer, runtime], module, extra_env))

    # (wall, cpu) medians, each taken on its own
    medians = {key: tuple(statistics.median(sample[i] for sample in values) for i in (0, 1)) for key, values in timings.items()}
    baseline = medians[("", "boto3")]
    print(
        f"{subprocess.run([python, '-V'], capture_output=True, text=True).stdout.strip()}, median of "
        f"{args.samples} fresh interpreters each, baseline `import boto3` {baseline[0]:.0f} ms "
        f"({baseline[1]:.0f} ms of CPU)"
    )
    names = sorted({name for build in builds for name in targets[build]})
    print("| function | " + " | ".join(f"{build} ms | x boto3 | cpu ms | cpu x boto3" for build in builds) + " |")
    print("|---|" + "---|---|---|---|" * len(builds))
    for name in names:
        cells = [
            " | ".join(f"{medians[(build, name)][i]:.0f} | {medians[(build, name)][i] / baseline[i]:.2f}" for i in (0, 1))
            if (build, name) in medians
            else "- | - | - | -"
            for build in builds
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for build, directory in builds.items():
        print(f"\n{build}: {directory}")
        print("| artifact | unpacked | zipped |")
        print("|---|---|---|")
        for artifact in sorted(p for p in directory.iterdir() if p.is_dir()):
            print(f"| {artifact.name} | {_human(_size(artifact))} | {_human(_zipped_size(artifact))} |")


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def _zipped_size(directory: Path) -> int:
    with tempfile.TemporaryFile() as file:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(directory))
        return file.tell()


def _human(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


if __name__ == "__main__":
    main()
