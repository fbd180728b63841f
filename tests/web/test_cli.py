"""The ``orderloom`` command line, run in-process against a real SQLite file."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from web.cli import main

DEFS = Path(__file__).resolve().parent / "defs"
REPO = Path(__file__).resolve().parents[2]

Run = Callable[..., Result]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copied = tmp_path / "defs"
    shutil.copytree(DEFS, copied)
    return copied


@pytest.fixture
def run(root: Path, tmp_path: Path) -> Run:
    env = {
        "ORDERLOOM_DEFINITIONS": str(root),
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
    }

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke("db", "upgrade")
    return invoke


def publish_desk(run: Run, root: Path) -> None:
    run("publish", str(root / "workflows" / "desk.yaml"))


def create(run: Run, total: float = 120, key: str | None = None) -> int:
    data = json.dumps({"customer": "王芳", "total": total})
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    args += ["--data", data, "--role", "clerk"]
    if key:
        args += ["--key", key]
    out = run(*args).output
    found = re.search(r"order #(\d+) created in state pending_payment \(desk-order v1\)", out)
    assert found, out
    return int(found.group(1))


COMMANDS = [
    [],
    ["validate"],
    ["db", "upgrade"],
    ["publish"],
    ["versions"],
    ["migrate"],
    ["orders", "create"],
    ["orders", "fire"],
    ["orders", "show"],
    ["orders", "list"],
    ["worker"],
    ["demo"],
    ["serve"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "orderloom")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output and "--help" in result.output


def test_validate_accepts_the_shipped_departments() -> None:
    result = CliRunner().invoke(main, ["validate"], env={"ORDERLOOM_DEFINITIONS": str(REPO)})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_validate_prints_every_problem_with_its_place(tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    text = (DEFS / "workflows" / "desk.yaml").read_text(encoding="utf-8")
    misspelled_key = text.replace("dest: paid,", "dset: paid,")
    misspelled_state = text.replace("dest: completed, roles: [clerk]", "dest: complted, roles: [clerk]")
    (folder / "a.yaml").write_text(misspelled_key, encoding="utf-8")
    (folder / "b.yaml").write_text(misspelled_state.replace("desk-order", "desk-order-b"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(folder)], env={"ORDERLOOM_DEFINITIONS": str(tmp_path)})
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": error: " in line]
    assert all(re.match(r"workflows/[ab]\.yaml:\d+:\d+: error: ", line) for line in lines), result.output
    assert any(
        line.startswith(
            "workflows/a.yaml:18:45: error: unknown key 'dset' in transition; did you mean 'dest'?"
        )
        for line in lines
    ), result.output
    assert any(
        line.startswith("workflows/b.yaml:20:")
        and "'complted'" in line
        and "did you mean 'completed'?" in line
        for line in lines
    ), result.output
    assert result.output.rstrip().endswith(f"{len(lines)} error(s) found.")


def test_publish_is_idempotent_on_content(run: Run, root: Path) -> None:
    first = run("publish", str(root / "workflows" / "desk.yaml")).output
    again = run("publish", str(root / "workflows" / "desk.yaml")).output
    assert re.match(r"desk-order: published version 1 \(sha256 [0-9a-f]{12}\)", first)
    assert "unchanged, already version 1" in again
    assert re.fullmatch(r"v1  sha256 [0-9a-f]{64}\n", run("versions", "desk-order").output)


def test_publish_refuses_a_broken_file_without_writing(run: Run, root: Path) -> None:
    path = root / "workflows" / "desk.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("dest: paid,", "dest: payd,"), encoding="utf-8")
    result = run("publish", str(path), code=1)
    assert "unknown state 'payd'" in result.output
    assert "no published version of 'desk-order'" in run("versions", "desk-order", code=1).output


def test_orders_create_fire_show_list(run: Run, root: Path) -> None:
    publish_desk(run, root)
    order_id = create(run)
    fired = run("orders", "fire", str(order_id), "pay", "--data", '{"amount": 120}', "--role", "clerk")
    assert f"order #{order_id}: pending_payment --pay--> paid" in fired.output
    shown = json.loads(run("orders", "show", str(order_id)).output)
    assert shown["state"] == "paid" and shown["data"]["customer"] == "王芳"
    assert [e["trigger"] for e in shown["history"]][-1] == "pay"
    assert {t["trigger"] for t in shown["triggers"]} == {"complete", "cancel"}
    listed = run("orders", "list", "--department", "desk").output
    assert re.search(rf"#{order_id}\s+desk\s+desk-order\s+paid\s+phone", listed), listed


def test_refusals_name_role_guard_and_field_in_both_languages(run: Run, root: Path) -> None:
    publish_desk(run, root)
    order_id = create(run)
    no_role = run("orders", "fire", str(order_id), "pay", "--data", '{"amount": 120}', code=1).output
    assert "requires role clerk" in no_role
    short = run("orders", "fire", str(order_id), "pay", "--data", '{"amount": 1}', "--role", "clerk", code=1)
    assert "data.amount >= order.total" in short.output
    bad = ["orders", "fire", str(order_id), "pay", "--data", '{"amount": "x"}', "--role", "clerk"]
    zh = run(*bad, "--lang", "zh", code=1).output
    assert "$.amount" in zh and "number" in zh
    assert "需要角色 clerk" in run("orders", "fire", str(order_id), "pay", "--lang", "zh", code=1).output


def test_an_idempotency_key_creates_once(run: Run, root: Path) -> None:
    publish_desk(run, root)
    assert create(run, key="phone-7781") == create(run, key="phone-7781")
    assert len(run("orders", "list").output.splitlines()) == 1


def test_worker_fires_due_timers_once(run: Run, root: Path) -> None:
    publish_desk(run, root)
    create(run)
    # Nothing is due yet: the unpaid timeout is 30 minutes away.
    out = run("worker", "--once", "--id", "w1").output
    assert "fired 0 timer(s), sent 0 message(s)" in out
    assert "outbox delivery is off" in out


def test_migrate_dry_run_then_move(run: Run, root: Path) -> None:
    publish_desk(run, root)
    waiting, done = create(run), create(run)
    run("orders", "fire", str(done), "pay", "--data", '{"amount": 120}', "--role", "clerk")
    path = root / "workflows" / "desk.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  paid: {label: {zh: 已支付, en: Paid}}", "  settled: {label: {zh: 已结清, en: Settled}}"
    )
    text = text.replace("dest: paid,", "dest: settled,").replace("source: paid,", "source: settled,")
    text = text.replace("[pending_payment, paid]", "[pending_payment, settled]")
    path.write_text(text, encoding="utf-8")
    assert "published version 2" in run("publish", str(path)).output
    plan = run("migrate", "desk-order", "--to", "2", "--dry-run").output
    assert "would move 1 order(s); 1 cannot move" in plan
    assert f"stay  #{done}" in plan and f"move  #{waiting}" in plan
    moved = run("migrate", "desk-order", "--to", "2", "--map", "paid=settled").output
    assert "moved 2 order(s); 0 cannot move" in moved
    shown = json.loads(run("orders", "show", str(done)).output)
    assert shown["state"] == "settled" and shown["workflow"] == "desk-order v2"
    assert run("migrate", "desk-order", "--to", "2", "--map", "nonsense", code=2).exit_code == 2
