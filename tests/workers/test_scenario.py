"""A scenario session (workers/scenario.py): one migrated database copied for each file, the worker of
`orderloom worker` run for each `worker` step, and nothing left behind when it closes."""

from __future__ import annotations

from pathlib import Path

from workers.scenario import ScenarioSession

REPO = Path(__file__).resolve().parents[2]

TIMEOUT = """\
scenario: timer
definitions: {root}
clock: '2026-05-01T10:00:00+08:00'
setup:
  stock: [{{sku: XM-BAND8, warehouse: SH-01, on_hand: 3}}]
  users:
    storefront: {{roles: [clerk], departments: [retail]}}
steps:
  - create: retail-order
    as: storefront
    channel: web
    data:
      customer: {{name: 张伟, mobile: '13912345678'}}
      address: {{province: 上海市, city: 上海市, district: 浦东新区, detail: 世纪大道1号, postcode: '200120'}}
      lines: [{{sku: XM-BAND8, name: 小米手环8, qty: 1, unit_price: 239, amount: 239}}]
      shipping_fee: 0
      discount: 0
      total: 239
  - advance: 31m
  - expect: {{state: pending_payment}}
  - worker: once
  - expect:
      state: cancelled
      outbox: {{notifications.order_status: {{count: 1, status: sent}}}}
"""


def test_a_worker_step_runs_the_workers_round_timers_and_outbox(tmp_path: Path) -> None:
    path = tmp_path / "timer.yaml"
    path.write_text(TIMEOUT.format(root=REPO), encoding="utf-8")
    with ScenarioSession(REPO) as session:
        outcome = session.run_file(path)
        folder = session.folder
        assert outcome.problems == []
        assert outcome.result is not None
        assert [p.format() for p in outcome.result.failures] == []
        assert outcome.passed
        assert sorted(p.name for p in folder.iterdir()) == ["template.db"]  # each run's copy is removed
    assert not folder.exists()


def test_a_malformed_file_gives_its_problems_and_runs_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(TIMEOUT.format(root=REPO).replace("advance: 31m", "advance: soon"), encoding="utf-8")
    with ScenarioSession(REPO) as session:
        outcome = session.run_file(path)
    assert outcome.result is None and not outcome.passed
    assert [(p.line, p.code) for p in outcome.problems] == [(19, "bad-duration")]
