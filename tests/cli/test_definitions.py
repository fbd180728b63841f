"""``validate``, ``publish``, ``versions`` and ``migrate``, run in-process against a real SQLite file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from cli.main import main
from tests.cli.support import DEFS, REPO, Run, create, publish_desk


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


def test_validate_prints_the_problems_as_data_with_format_json(tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    text = (DEFS / "workflows" / "desk.yaml").read_text(encoding="utf-8")
    (folder / "a.yaml").write_text(text.replace("dest: paid,", "dset: paid,"), encoding="utf-8")
    env = {"ORDERLOOM_DEFINITIONS": str(tmp_path)}
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(folder)], env=env)
    assert result.exit_code == 1
    problems = json.loads(result.stdout)  # the problems alone: nothing else on stdout
    misspelled = next(p for p in problems if p["code"] == "unknown-key")
    assert misspelled == {
        "file": "workflows/a.yaml",
        "line": 18,
        "column": 45,
        "json_path": misspelled["json_path"],
        "severity": "error",
        "kind": "schema",
        "code": "unknown-key",
        "text": "unknown key 'dset' in transition",
        "suggestion": "dest",
        "hint": misspelled["hint"],
        "message": "unknown key 'dset' in transition; did you mean 'dest'?",
    }
    assert misspelled["json_path"].startswith("$.transitions[")
    text_output = CliRunner().invoke(main, ["validate", str(folder)], env=env)
    assert [line for line in text_output.output.splitlines() if ": error: " in line] == [
        line for line in (_format_line(p) for p in problems) if ": error: " in line
    ]
    ok = CliRunner().invoke(
        main,
        ["validate", "--format", "json", str(DEFS / "workflows" / "desk.yaml")],
        env={"ORDERLOOM_DEFINITIONS": str(DEFS)},
    )
    assert (ok.exit_code, json.loads(ok.stdout)) == (0, []), ok.output


def _format_line(problem: dict[str, object]) -> str:
    """A problem's data printed as the text format prints it."""
    place = f"{problem['file']}:{problem['line']}:{problem['column']}"
    line = f"{place}: {problem['severity']}: {problem['message']}"
    if problem["json_path"] != "$":
        line += f" [at {problem['json_path']}]"
    return line + (f" (hint: {problem['hint']})" if problem["hint"] else "")


def test_validate_prints_a_warning_and_still_succeeds_and_publish_is_not_stopped_by_it(
    run: Run, root: Path
) -> None:
    path = root / "workflows" / "desk.yaml"
    text = path.read_text(encoding="utf-8")
    assert 'when: "data.amount >= order.total"' in text
    path.write_text(text.replace(">= order.total", ">= order.totl"), encoding="utf-8")
    result = run("validate", str(path))
    warning = next(line for line in result.output.splitlines() if ": warning: " in line)
    assert (
        warning.startswith("workflows/desk.yaml:")
        and ": warning: unknown field 'order.totl': the order has no 'totl'; did you mean 'total'?" in warning
    )
    assert result.output.rstrip().endswith(f"ok: {path}")
    assert "published version 1" in run("publish", str(path)).output


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
    zh = run("migrate", "desk-order", "--to", "2", "--dry-run", "--lang", "zh").output
    assert zh.startswith("desk-order -> v2：将迁移 1 个订单；1 个无法迁移\n")
    assert f"stay  #{done}" in plan and f"move  #{waiting}" in plan
    moved = run("migrate", "desk-order", "--to", "2", "--map", "paid=settled").output
    assert "moved 2 order(s); 0 cannot move" in moved
    shown = json.loads(run("orders", "show", str(done)).output)
    assert shown["state"] == "settled" and shown["workflow"] == "desk-order v2"
    assert run("migrate", "desk-order", "--to", "2", "--map", "nonsense", code=2).exit_code == 2


def _publish_settled(run: Run, root: Path) -> None:
    """Version 2 of desk-order, its ``paid`` state renamed ``settled``."""
    path = root / "workflows" / "desk.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  paid: {label: {zh: 已支付, en: Paid}}", "  settled: {label: {zh: 已结清, en: Settled}}"
    )
    text = text.replace("dest: paid,", "dest: settled,").replace("source: paid,", "source: settled,")
    text = text.replace("[pending_payment, paid]", "[pending_payment, settled]")
    path.write_text(text, encoding="utf-8")
    assert "published version 2" in run("publish", str(path)).output


def test_migrate_records_who_ran_it(run: Run, root: Path) -> None:
    publish_desk(run, root)
    order_id = create(run)
    _publish_settled(run, root)
    run("migrate", "desk-order", "--to", "2", "--as", "li.admin")
    assert json.loads(run("orders", "show", str(order_id)).output)["history"][-1]["actor"] == "li.admin"


def test_migrate_without_as_records_the_operator(run: Run, root: Path) -> None:
    publish_desk(run, root)
    order_id = create(run)
    _publish_settled(run, root)
    run("migrate", "desk-order", "--to", "2")
    event = json.loads(run("orders", "show", str(order_id)).output)["history"][-1]
    assert (event["trigger"], event["actor"]) == ("migrate", "operator")


def test_migrate_refuses_an_unknown_state_up_front_in_both_languages(run: Run, root: Path) -> None:
    publish_desk(run, root)
    paid = create(run)
    run("orders", "fire", str(paid), "pay", "--data", '{"amount": 120}', "--role", "clerk")
    _publish_settled(run, root)
    en = run("migrate", "desk-order", "--to", "2", "--map", "paid=setled", code=1).output
    assert en == "error: cannot migrate: state 'setled' does not exist in v2; did you mean 'settled'?\n"
    zh = run("migrate", "desk-order", "--to", "2", "--map", "piad=settled", "--lang", "zh", code=1).output
    assert zh == "错误：无法迁移：流程 desk-order 的已发布版本中没有状态 'piad'；您是否想输入 'paid'？\n"
    assert json.loads(run("orders", "show", str(paid)).output)["workflow"] == "desk-order v1"


def test_migrate_refuses_a_state_mapped_twice(run: Run, root: Path) -> None:
    publish_desk(run, root)
    _publish_settled(run, root)
    args = ["migrate", "desk-order", "--to", "2", "--map", "paid=settled", "--map", "paid=pending_payment"]
    refused = run(*args, code=2).output
    assert "'paid' is mapped twice (settled, pending_payment)" in refused


def test_migrate_names_blocked_orders_in_chinese(run: Run, root: Path) -> None:
    publish_desk(run, root)
    done = create(run)
    run("orders", "fire", str(done), "pay", "--data", '{"amount": 120}', "--role", "clerk")
    _publish_settled(run, root)
    plan = run("migrate", "desk-order", "--to", "2", "--dry-run", "--lang", "zh").output
    assert f"stay  #{done}: 状态 paid 在 v2 中不存在" in plan


def test_publishing_a_form_or_rule_file_says_what_it_is(run: Run, root: Path, tmp_path: Path) -> None:
    result = run("publish", str(root / "forms" / "payment.json"), code=1)
    assert "forms/payment.json:1:1: error: this is a form, not a workflow" in result.output
    rules = root / "rules" / "audit.yaml"
    rules.parent.mkdir(exist_ok=True)
    rules.write_text("schema_version: 1\nruleset: desk-audit\nkind: audit\n", encoding="utf-8")
    assert "this is a rule file, not a workflow" in run("publish", str(rules), code=1).output


def test_publish_refuses_when_an_overlay_of_it_would_break(run: Run, root: Path) -> None:
    overlay = root / "workflows" / "desk-express.yaml"
    overlay.write_text(
        "schema_version: 1\nextends: desk-order\nworkflow: desk-express\n"
        "remove: {transitions: [{trigger: complete, source: paid}]}\n"
        "add: {transitions: [{trigger: finish, source: paid, dest: completed, roles: [clerk]}]}\n",
        encoding="utf-8",
    )
    base = root / "workflows" / "desk.yaml"
    run("publish", str(base), str(overlay))
    # The base renames the transition the overlay removes: the overlay no longer checks out.
    text = base.read_text(encoding="utf-8").replace("trigger: complete,", "trigger: close,")
    base.write_text(text, encoding="utf-8")
    result = run("publish", str(base), code=1)
    assert "desk-express extends what is published here and has problems" in result.output
    assert "workflows/desk-express.yaml:" in result.output
    assert "nothing was published" in result.output
    assert run("versions", "desk-order").output.count("\n") == 1


def test_validate_words_the_problems_in_chinese_with_lang_zh(tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    text = (DEFS / "workflows" / "desk.yaml").read_text(encoding="utf-8")
    (folder / "a.yaml").write_text(text.replace("dest: paid,", "dset: paid,"), encoding="utf-8")
    env = {"ORDERLOOM_DEFINITIONS": str(tmp_path)}
    result = CliRunner().invoke(main, ["validate", "--lang", "zh", str(folder)], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": 错误: " in line]
    misspelled = next(line for line in lines if line.startswith("workflows/a.yaml:18:45: 错误: "))
    assert "；您是否想输入 'dest'？ [位于 $.transitions[" in misspelled
    assert result.output.rstrip().endswith(f"发现 {len(lines)} 个错误。")
    data = CliRunner().invoke(main, ["validate", "--lang", "zh", "--format", "json", str(folder)], env=env)
    problem = next(p for p in json.loads(data.stdout) if p["code"] == "unknown-key")
    assert problem["message"].endswith("；您是否想输入 'dest'？")


def _two_versions_with_orders(run: Run, root: Path, orders: int) -> list[int]:
    """desk-order v1 with ``orders`` orders waiting for payment, then v2 (``paid`` renamed ``settled``)."""
    publish_desk(run, root)
    created = [create(run) for _ in range(orders)]
    _publish_settled(run, root)
    return created


def _versions_of(run: Run, orders: list[int]) -> list[str]:
    return [json.loads(run("orders", "show", str(order)).output)["workflow"] for order in orders]


def test_migrate_in_batches_moves_every_order_each_batch_its_own_transaction(run: Run, root: Path) -> None:
    orders = _two_versions_with_orders(run, root, 5)
    plan = run("migrate", "desk-order", "--to", "2", "--batch", "2", "--dry-run").output
    assert plan.startswith(
        "desk-order -> v2: would move 5 order(s) in 3 batch(es) of up to 2; 0 cannot move\n"
    )
    assert _versions_of(run, orders) == ["desk-order v1"] * 5
    moved = run("migrate", "desk-order", "--to", "2", "--batch", "2", "--lang", "zh").output.splitlines()
    assert moved[:4] == [
        "第 1 批：已迁移 2 个订单",
        "第 2 批：已迁移 2 个订单",
        "第 3 批：已迁移 1 个订单",
        "desk-order -> v2：分 3 批迁移了 5 个订单；0 个无法迁移",
    ]
    assert _versions_of(run, orders) == ["desk-order v2"] * 5
    histories = [json.loads(run("orders", "show", str(order)).output)["history"] for order in orders]
    assert [h[-1]["trigger"] for h in histories] == ["migrate"] * 5


def test_migrate_in_batches_names_an_order_that_cannot_move_once(run: Run, root: Path) -> None:
    orders = _two_versions_with_orders(run, root, 3)
    paid = orders[0]
    run("orders", "fire", str(paid), "pay", "--data", '{"amount": 120}', "--role", "clerk")
    out = run("migrate", "desk-order", "--to", "2", "--batch", "1").output
    assert "desk-order -> v2: moved 2 order(s) in 2 batch(es); 1 cannot move" in out
    assert out.count(f"stay  #{paid}: state paid does not exist in v2") == 1
    assert _versions_of(run, orders) == ["desk-order v1", "desk-order v2", "desk-order v2"]


def test_migrate_from_one_version_only(run: Run, root: Path) -> None:
    (on_v1,) = _two_versions_with_orders(run, root, 1)
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    created = run(*args, "--data", '{"customer": "李雷", "total": 80}', "--role", "clerk").output
    on_v2 = int(re.findall(r"order #(\d+) created", created)[0])
    path = root / "workflows" / "desk.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Settled}", "Settled up}"), encoding="utf-8")
    assert "published version 3" in run("publish", str(path)).output
    assert _versions_of(run, [on_v1, on_v2]) == ["desk-order v1", "desk-order v2"]
    out = run("migrate", "desk-order", "--to", "3", "--from", "1").output
    assert "moved 1 order(s); 0 cannot move" in out
    assert _versions_of(run, [on_v1, on_v2]) == ["desk-order v3", "desk-order v2"]


def test_migrate_refuses_a_bad_batch_or_from_in_words_and_moves_nothing(run: Run, root: Path) -> None:
    orders = _two_versions_with_orders(run, root, 2)
    en = run("migrate", "desk-order", "--to", "2", "--batch", "0", code=2).output
    assert en == "error: option --batch: a batch moves from 1 to 1000 orders, not 0\n"
    zh = run("migrate", "desk-order", "--to", "2", "--batch", "1001", "--lang", "zh", code=2).output
    assert zh == "错误：选项 --batch：每批迁移的订单数须在 1 到 1000 之间，而不是 1001\n"
    same = run("migrate", "desk-order", "--to", "2", "--from", "2", code=1).output
    assert same == (
        "error: cannot migrate from v2 of desk-order: it is not another published version than v2\n"
    )
    unknown = run("migrate", "desk-order", "--to", "2", "--from", "7", "--lang", "zh", code=1).output
    assert unknown == "错误：无法从 desk-order 的 v7 迁移：它不是 v2 以外的已发布版本\n"
    assert _versions_of(run, orders) == ["desk-order v1"] * 2


def test_validate_reports_a_step_showing_a_field_the_order_has_not(tmp_path: Path) -> None:
    for folder in ("forms", "rules"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    (tmp_path / "workflows").mkdir()
    text = (REPO / "workflows" / "retail" / "order.yaml").read_text(encoding="utf-8")
    shown = "    dest: partly_returned\n    roles: [warehouse]\n    shows: [returning, refund_due]"
    assert shown in text
    broken = text.replace(shown, shown.replace("refund_due]", "refund_dew]"))
    (tmp_path / "workflows" / "order.yaml").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("    shows: [returning, refund_dew]") + 1
    column = "    shows: [returning, refund_dew]".index("refund_dew") + 1
    env = {"ORDERLOOM_DEFINITIONS": str(tmp_path)}
    for lang, words in (
        ("en", "transition 'receive_return' shows 'refund_dew', which the order's data form"),
        ("zh", "流转 'receive_return' 要显示的字段 'refund_dew' 不在订单的数据表单"),
    ):
        result = CliRunner().invoke(main, ["validate", "--lang", lang, str(tmp_path / "workflows")], env=env)
        assert result.exit_code == 1, result.output
        [said] = [row for row in result.output.splitlines() if "refund_dew" in row]
        assert said.startswith(f"workflows/order.yaml:{line}:{column}: "), said
        assert words in said and "'refund_due'" in said, said
