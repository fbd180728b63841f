"""The correlator at scale: tens of thousands of keys, each with a few events that match or expire,
through one correlator in one process, as a long-running worker sees them.

durable-rules 2.0.28 crashes (or raises MemoryError) when states are made and deleted per key; the
driver runs in a child process so that a crash fails the test instead of ending pytest. It imports
only what the correlator has always had until its figures are in, so it can show the old one fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.dsl.loader import load_yaml
from engine.rules.correlation import CorrelationRuleset, Correlator
from engine.rules.kinds import compile_ruleset

REPO = Path(__file__).resolve().parents[3]
START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
FAILURES = """
schema_version: 1
ruleset: scale-fraud
kind: correlation
title: {zh: 规模测试, en: Scale test}
department: retail
patterns:
  - name: failures
    event: payment_failed
    by: event.customer_mobile
    count: 3
    within: 10m
    then: {fire: {trigger: hold, on: customer_open_orders}}
    reason: {zh: 三次支付失败, en: Three failed payments}
"""


def ruleset() -> CorrelationRuleset:
    tree, _marks, problems = load_yaml(FAILURES, "scale.yaml")
    assert not problems
    compiled = compile_ruleset(tree, "scale.yaml")
    assert isinstance(compiled, CorrelationRuleset)
    return compiled


# How each key's payment failures are spread (seconds after the key's first one), window 10 minutes:
SHAPES: dict[int, tuple[int, ...]] = {
    0: (0, 200, 400),  # a match
    1: (0, 350, 700),  # the first one falls out before the third: no match
    2: (0, 300),  # two, then quiet: retracted on expiry
    3: (0, 300, 600),  # exactly the window: a match
    4: (0, 100, 200, 300),  # a match of the first three; the fourth expires alone
}


def _rss_kb() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4


def drive_many_keys(keys: int, spacing: float = 0.25) -> None:
    """Run in a child process by the test below (a crash in durable-rules must fail a test, not end
    pytest): ``keys`` customers, a new one every ``spacing`` seconds, each failing payments in one of
    the ``SHAPES``, through one correlator. Prints one JSON line of figures; raises on a wrong match."""
    fraud = ruleset()
    starts = [
        (START + timedelta(seconds=k * spacing + offset), k, n)
        for k in range(keys)
        for n, offset in enumerate(SHAPES[k % 5])
    ]
    starts.sort()
    expected = iter(
        sorted(
            (k * spacing + SHAPES[k % 5][2], k)
            for k in range(keys)
            if len(SHAPES[k % 5]) > 2 and SHAPES[k % 5][2] - SHAPES[k % 5][0] <= 600
        )
    )
    correlator = Correlator([fraud])
    recent: deque[float] = deque()
    figures: dict[str, Any] = {"keys": keys, "events": len(starts), "matches": 0}
    peak_facts = peak_keys = window_events = 0
    rss: dict[str, int] = {}
    began = time.perf_counter()
    for index, (at, k, n) in enumerate(starts):
        event = {"type": "payment_failed", "at": at, "customer_mobile": f"1{k:010d}", "id": f"{k}.{n}"}
        for match in correlator.feed(event):
            _, want = next(expected)
            got = (match.key, [e["id"] for e in match.events])
            assert got == (f"1{want:010d}", [f"{want}.0", f"{want}.1", f"{want}.2"]), got
            figures["matches"] += 1
        recent.append(at.timestamp())
        while recent[0] < recent[-1] - 600:
            recent.popleft()
        window_events = max(window_events, len(recent))
        peak_facts = max(peak_facts, correlator.live_facts)
        peak_keys = max(peak_keys, correlator.live_keys)
        if index + 1 in (len(starts) // 4, len(starts)):
            rss["quarter" if index + 1 < len(starts) else "end"] = _rss_kb()
    seconds = time.perf_counter() - began
    assert next(expected, None) is None, "a match is missing"
    correlator.expire(starts[-1][0] + timedelta(hours=1))
    from engine.rules.correlation import durable_states  # new with the pool of states

    figures.update(
        peak_live_facts=peak_facts,
        peak_live_keys=peak_keys,
        most_events_in_a_window=window_events,
        left=[correlator.live_facts, correlator.live_keys],
        live_states=correlator.live_states,
        durable_states=durable_states(fraud),
        keys_per_second=round(keys / seconds),
        rss_kb=rss,
    )
    correlator.close()
    print(json.dumps(figures))


@pytest.mark.parametrize(
    "spacing",
    [
        pytest.param(5.0, id="sparse"),  # ~160 customers live at once; keys come and go
        pytest.param(0.25, id="crowded"),  # ~3,200 live at once: more than 1,024 states per ruleset
    ],
)
def test_many_keys_with_expiries_stay_correct_and_bounded_in_one_process(spacing: float) -> None:
    """24,000 customers and 72,000 events through one correlator: every match right, what it holds
    bounded by the window, no crash (a segfault ends the child process, failing this test)."""
    keys = 24_000
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.engine.rules.test_correlation_scale import drive_many_keys; "
            f"drive_many_keys({keys}, {spacing})",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, f"exit {child.returncode}: {child.stderr[-3000:]}"
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    assert figures["matches"] == keys * 3 // 5
    assert figures["peak_live_keys"] > (1024 if spacing < 1 else 100)
    assert figures["peak_live_facts"] <= figures["most_events_in_a_window"]
    assert figures["left"] == [0, 0]
    assert (figures["live_states"], figures["durable_states"]) == (1, 1)
    # Memory follows what is live, not how many keys went by: three quarters of the run add little.
    # (Keeping a ~100 KB durable-rules state per key seen would add about 1.9 GB here.)
    assert figures["rss_kb"]["end"] - figures["rss_kb"]["quarter"] < 32 * 1024, figures
