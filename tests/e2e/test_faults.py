"""Exactly once under injected AWS faults (issue 30): a two-step chain, with packs that retry as real
packs do (one Idempotency-Key per post, kept across retries), under each fault kind at 20% of the
functions' AWS calls. Nothing lost, nothing duplicated, nothing stuck past a lease, no 500 the packs
can see (503 with Retry-After is what they retry). Before issue 30, lost replies duplicated
executions (an event put that landed answered 500 and was posted again) and left phantom claims."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flyte_local.faults import FaultSpec
from flyte_local.stack import LocalStack

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_faults import chain_under_faults

pytestmark = [pytest.mark.e2e, pytest.mark.waits_on_the_clock]  # lost replies wait out 10 s leases: about 50 of its 75 s
EVENTS = 15
# The bench's 10 s. A lost ReceiveMessage reply hides an action's message for a whole lease before it
# is offered again (a lease, not a claim: attempts stay 1), so lost-reply waits out several leases; at
# 30 s that took 70-96 s of the suite. A working pack answers within a second or two of its take, well
# inside 10 s; a phantom claim (the bug) still shows, as an action taken a second time after this lease.
LEASE_SECONDS = 10


@pytest.fixture(scope="module")
def faulty_stack(backend):
    backend.reset()
    overrides = {"LogLevel": "WARNING", "ActionLeaseSeconds": str(LEASE_SECONDS)}
    local = LocalStack(port=0, endpoint=backend.endpoint, parameter_overrides=overrides, faults=FaultSpec()).start()
    yield local
    local.stop()


@pytest.mark.parametrize("faults", ["lost-reply=0.2", "throttle=0.2", "error=0.2", "latency=0.2:300ms"])
def test_a_chain_under_faults_runs_each_event_exactly_once(faulty_stack, faults):
    faulty_stack.reset()
    assert faulty_stack.fault_proxy is not None
    faulty_stack.fault_proxy.set_spec(FaultSpec.parse(f"{faults},seed=30"))
    try:
        outcome = chain_under_faults(faulty_stack, EVENTS, deadline_seconds=100)
    finally:
        faulty_stack.fault_proxy.set_spec(FaultSpec())
    injected = sum(faulty_stack.fault_proxy.counts.values())
    assert injected > 0, "no fault was injected"
    summary = outcome.row(faults)
    assert outcome.lost == 0, summary  # every chain ended
    assert (outcome.events, outcome.executions, outcome.duplicates) == (EVENTS, EVENTS, 0), summary
    assert outcome.stuck == 0, summary  # no action needed a second lease
    assert "500" not in outcome.errors and "503 without Retry-After" not in outcome.errors, summary
