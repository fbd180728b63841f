"""The ``orderloom`` command line, run in-process against a real SQLite file."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, update

from cli.main import main
from engine.store import Store, tables
from tests.engine.store.support import NOW
from tests.engine.test_plugins import _installed

DEFS = Path(__file__).resolve().parents[1] / "web" / "defs"  # the test definitions the web tests use too
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
    ["accounts", "set"],
    ["accounts", "list"],
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
    assert "amount应为数字" in zh and '"path": "$.amount"' in zh
    assert "The amount must be a number" in run(*bad, "--lang", "en", code=1).output
    assert "需要角色 clerk" in run("orders", "fire", str(order_id), "pay", "--lang", "zh", code=1).output


def test_a_missing_order_is_named_in_both_languages(run: Run, root: Path) -> None:
    publish_desk(run, root)
    zh = run("orders", "show", "99999", "--lang", "zh", code=1)
    assert zh.output == "错误：找不到订单 99999\n"
    assert run("orders", "show", "99999", code=1).output == "error: order 99999 not found\n"
    fired = run("orders", "fire", "99999", "pay", "--lang", "zh", code=1).output
    assert fired == "错误：找不到订单 99999\n"


def test_an_order_id_above_2_to_the_63_is_not_found_in_both_languages(run: Run, root: Path) -> None:
    publish_desk(run, root)
    huge = "99999999999999999999999"
    assert run("orders", "show", huge, code=1).output == f"error: order {huge} not found\n"
    assert run("orders", "show", huge, "--lang", "zh", code=1).output == f"错误：找不到订单 {huge}\n"
    assert run("orders", "fire", huge, "pay", code=1).output == f"error: order {huge} not found\n"
    moved = run("migrate", "desk-order", "--to", huge, code=1).output
    assert moved == f"error: workflow desk-order v{huge} is not published; published versions: v1\n"


def test_a_misspelled_workflow_gets_a_did_you_mean_in_both_languages(run: Run, root: Path) -> None:
    publish_desk(run, root)
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-ordr", "--role", "clerk"]
    assert run(*args, "--lang", "zh", code=1).output == (
        "错误：流程 desk-ordr 尚未发布；您是否想输入 'desk-order'？\n"
    )
    assert run(*args, code=1).output == (
        "error: workflow desk-ordr is not published; did you mean 'desk-order'?\n"
    )


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


def test_data_with_nan_or_infinity_is_refused_as_json(run: Run, root: Path) -> None:
    publish_desk(run, root)
    for bad in ('{"customer": "王芳", "total": NaN}', '{"customer": "王芳", "total": Infinity}'):
        args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
        result = run(*args, "--data", bad, "--role", "clerk", code=2)
        assert "not readable JSON" in result.output and "is not a number JSON allows" in result.output
    assert run("orders", "list").stdout == ""  # nothing was created


def test_data_with_a_lone_surrogate_names_the_option_and_the_field(run: Run, root: Path) -> None:
    publish_desk(run, root)
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    bad = ["--data", '{"customer": "\\ud800x", "total": 120}', "--role", "clerk"]
    en = run(*args, *bad, code=2).output
    assert (
        "Invalid value for --data: $.customer: the text holds \\ud800, half of a UTF-16 surrogate pair" in en
    )
    zh = run(*args, *bad, "--lang", "zh", code=2).output
    assert "Invalid value for --data: $.customer：文本含有 \\ud800" in zh
    assert "Traceback" not in en + zh
    assert run("orders", "list").stdout == ""  # nothing was created
    order_id = create(run)
    fired = run("orders", "fire", str(order_id), "pay", "--data", '{"amount": "\\udfff"}', code=2).output
    assert "$.amount: the text holds \\udfff" in fired


def test_a_stored_order_of_a_newer_schema_version_is_a_clear_error(
    run: Run, root: Path, tmp_path: Path
) -> None:
    publish_desk(run, root)
    order_id = create(run)
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}")
    with engine.begin() as connection:
        connection.execute(update(tables.orders).values(schema_version=2))
    engine.dispose()
    en = run("orders", "show", str(order_id), code=1).output
    assert en == (
        f"error: the data of order {order_id} has schema_version 2, newer than this OrderLoom reads "
        "(up to 1): it was written by a newer OrderLoom; run that version, or upgrade this one\n"
    )
    zh = run("orders", "show", str(order_id), "--lang", "zh", code=1).output
    assert zh.startswith(
        f"错误：订单 {order_id} 的数据的 schema_version 为 2，比本版本 OrderLoom 能读取的（最高 1）更新"
    )
    fired = run("orders", "fire", str(order_id), "complete", "--role", "clerk", code=1).output
    assert "has schema_version 2, newer than this OrderLoom reads" in fired


def test_a_published_version_of_a_newer_schema_version_is_a_clear_error(
    run: Run, root: Path, tmp_path: Path
) -> None:
    publish_desk(run, root)
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}")
    with engine.begin() as connection:
        connection.execute(update(tables.workflow_versions).values(schema_version=3))
    engine.dispose()
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    out = run(*args, "--data", '{"customer": "王芳", "total": 1}', "--role", "clerk", code=1).output
    assert out.startswith("error: the bundle of workflow desk-order v1 has schema_version 3, newer than")


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


def test_show_explains_the_rules_decision(run: Run, root: Path) -> None:
    rules = root / "rules" / "audit.yaml"
    rules.parent.mkdir(exist_ok=True)
    rules.write_text(
        "schema_version: 1\nruleset: desk-audit\nkind: audit\ntitle: {zh: 审核, en: Audit}\n"
        "outcomes: [approve, hold, reject]\ndefault: approve\nrules:\n"
        "  - {name: big, when: 'order.total > 100', outcome: hold, queue: risk-review,\n"
        "     reason: {zh: 金额超过100元, en: Amount over 100 CNY}}\n",
        encoding="utf-8",
    )
    path = root / "workflows" / "desk.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  - {trigger: complete, source: paid, dest: completed, roles: [clerk]}",
        "  - {trigger: complete, source: paid, roles: [clerk], rules: rules/audit.yaml,\n"
        "     dest: {approve: completed, hold: paid, reject: cancelled}}",
    )
    path.write_text(text, encoding="utf-8")
    publish_desk(run, root)
    order_id = create(run, total=120)
    run("orders", "fire", str(order_id), "pay", "--data", '{"amount": 120}', "--role", "clerk")
    run("orders", "fire", str(order_id), "complete", "--role", "clerk")
    event = json.loads(run("orders", "show", str(order_id), "--lang", "zh").output)["history"][-1]
    assert event["decision"]["outcome"] == "hold" and event["decision"]["queue"] == "risk-review"
    assert event["decision"]["reasons"] == [{"rule": "big", "reason": "金额超过100元"}]
    assert "trace" not in event["decision"]
    traced = json.loads(run("orders", "show", str(order_id), "--trace").output)["history"][-1]
    assert traced["decision"]["trace"][0]["matched"] is True


def test_demo_refuses_a_database_with_orders_unless_asked(run: Run, root: Path) -> None:
    publish_desk(run, root)
    create(run)
    assert "nothing loaded" in run("demo", "--if-empty").output
    assert "pass --append" in run("demo", code=1).output


def test_demo_loads_nothing_when_a_definition_is_broken(run: Run, root: Path) -> None:
    path = root / "workflows" / "desk.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("dest: paid,", "dest: payd,"), encoding="utf-8")
    result = run("demo", "--orders", "5", code=1)
    assert "nothing was loaded" in result.output and "unknown state 'payd'" in result.output
    assert "Traceback" not in result.output
    assert run("versions", "desk-order", code=1).exit_code == 1


def test_hostile_data_is_refused_without_a_traceback(run: Run, root: Path, tmp_path: Path) -> None:
    publish_desk(run, root)
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    deep = run(*args, "--data", "[" * 100_000, "--role", "clerk", code=2).output
    assert "nested too deeply" in deep and "Traceback" not in deep
    huge = tmp_path / "huge.json"
    huge.write_text('{"customer": "' + "x" * 1_000_001 + '", "total": 1}', encoding="utf-8")
    assert "larger than 1000000 bytes" in run(*args, "--data", f"@{huge}", "--role", "clerk", code=2).output
    assert "must be a JSON object" in run(*args, "--data", "[1, 2]", "--role", "clerk", code=2).output
    assert run("orders", "list").stdout == ""  # nothing was created


def test_accounts_are_set_listed_and_their_figures_changed(run: Run) -> None:
    assert "no accounts yet" in run("accounts", "list").output
    added = run(
        "accounts", "set", "W100231", "--department", "wholesale", "--company", "上海鑫达商贸有限公司",
        "--credit-limit", "500000", "--outstanding", "80000.5", "--tier", "gold",
    )  # fmt: skip
    assert added.output.startswith(
        "account W100231 of wholesale added: 上海鑫达商贸有限公司, credit limit 500000.00"
    )
    # nothing of wholesale is published here: the output says what was checked, and what was not
    assert "note: no published workflow of department wholesale holds an account, so only the record" in (
        added.output
    )
    updated = run(
        "accounts", "set", "W100231", "--department", "wholesale", "--company", "上海鑫达商贸有限公司",
        "--credit-limit", "500000", "--outstanding", "495000", "--status", "watch", "--overdue-days", "31",
    )  # fmt: skip
    assert "updated" in updated.output
    listed = run("accounts", "list", "--department", "wholesale").output.splitlines()
    assert listed == [
        "wholesale W100231: 上海鑫达商贸有限公司, credit limit 500000.00, outstanding 495000.00, "
        "31 day(s) overdue, watch"
    ]


def test_accounts_are_set_and_listed_in_chinese(run: Run) -> None:
    added = run(
        "accounts", "set", "W100231", "--department", "wholesale", "--company", "上海鑫达商贸有限公司",
        "--credit-limit", "500000", "--tier", "gold", "--tax-id", "91310000MA1FL0000X", "--lang", "zh",
    ).output.splitlines()  # fmt: skip
    assert added[0] == (
        "已添加部门 wholesale 的客户账户 W100231：上海鑫达商贸有限公司，信用额度 500000.00，未结清 0.00，"
        "逾期 0 天，active，等级 gold，税号 91310000MA1FL0000X"
    )
    assert added[1].startswith("注意：")
    listed = run("accounts", "list", "--lang", "zh").output.splitlines()
    assert listed == [
        "wholesale W100231：上海鑫达商贸有限公司，信用额度 500000.00，未结清 0.00，逾期 0 天，active，"
        "等级 gold，税号 91310000MA1FL0000X"
    ]


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--credit-limit", "-1", "--credit-limit"),
        ("--outstanding", "abc", "--outstanding"),
        ("--status", "frozen", "--status"),
        (
            "--outstanding",
            "0.001",
            "  --outstanding: The outstanding balance (CNY) is not valid: expected an amount with at most "
            "two decimals",
        ),
    ],
)
def test_an_account_with_a_figure_the_credit_check_cannot_use_is_refused(
    run: Run, option: str, value: str, said: str
) -> None:
    args = [
        "accounts",
        "set",
        "W100231",
        "--department",
        "wholesale",
        "--company",
        "鑫达",
        "--credit-limit",
        "1",
    ]
    result = run(*args, option, value, code=1 if option == "--outstanding" and value == "0.001" else 2)
    assert said in result.output
    assert "Traceback" not in result.output
    assert "no accounts yet" in run("accounts", "list").output


def test_an_account_the_published_wholesale_forms_refuse_is_refused_on_each_field_in_zh_and_en(
    tmp_path: Path,
) -> None:
    env = {"ORDERLOOM_DEFINITIONS": str(REPO), "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}"}

    def run(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    run("db", "upgrade")
    run("publish", str(REPO / "workflows" / "wholesale" / "order.yaml"))
    args = ["accounts", "set", "ACME-1", "--department", "wholesale", "--company", "A", "--credit-limit", "1"]
    args += ["--tax-id", "not-a-code"]
    order_form = "wholesale-order v1: forms/wholesale/order.json"
    every_form = f"{order_form}; wholesale-order v1: forms/wholesale/intake-phone.json; " + (
        "wholesale-order v1: forms/wholesale/intake-email.json"
    )
    assert run(*args, code=1).output.splitlines() == [
        "error: account ACME-1 of department wholesale was not stored:",
        f"  --company: The account's company must have at least 2 characters ({order_form})",
        "  ACCOUNT_NO: The account number is not valid: expected the letter W and 6 digits, as W100231 "
        f"({every_form})",
        "  --tax-id: The account's unified social credit code is not valid: expected 18 digits and capital "
        f"letters (no I, O, S, V or Z), as 91310000MA1FL0000X ({order_form})",
    ]
    zh = run(*args, "--lang", "zh", code=1).output.splitlines()
    assert zh[:2] == [
        "错误：客户账户 ACME-1（部门 wholesale）未保存：",
        f"  --company：客户账户公司名称至少需要2个字符（{order_form}）",
    ]
    assert zh[2].startswith("  ACCOUNT_NO：客户编号格式不正确：应为字母W加6位数字，如 W100231（")
    assert "Traceback" not in "".join(zh)
    assert "no accounts yet" in run("accounts", "list").output
    fitting = [
        "accounts",
        "set",
        "W100999",
        "--department",
        "wholesale",
        "--company",
        "鑫达",
        "--credit-limit",
        "1",
    ]
    assert run(*fitting).output.splitlines()[1] == f"checked against: {every_form}"


def test_outbox_commands_list_a_message_this_orderloom_cannot_read_and_take_no_huge_id(
    run: Run, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}")
    try:
        with store.transaction() as tx:
            for order_id in (1, 2):
                tx.insert_outbox("payments.captured", {"order_id": order_id}, NOW, department="desk")
            tx.connection.execute(update(tables.outbox).values(status="dead", dead_at=NOW))
            tx.connection.execute(
                update(tables.outbox).where(tables.outbox.c.id == 1).values(schema_version=2)
            )
    finally:
        store.dispose()
    why = (
        "outbox message 1 has schema_version 2, newer than this OrderLoom reads (up to 1): it was written by "
        "a newer OrderLoom; run that version, or upgrade this one"
    )
    listed = run("outbox", "list").output.splitlines()
    assert listed[0] == "outbox: 0 pending, 2 dead letter(s)"
    assert listed[1].startswith("#2 ") and "unreadable" not in listed[1]
    assert listed[2].startswith("#1 ") and listed[2].endswith(f"  unreadable: {why}")
    shown = json.loads(run("outbox", "show", "1").output)
    assert (shown["topic"], shown["status"], shown["unreadable"]) == ("payments.captured", "dead", why)
    assert "payload" not in shown
    assert json.loads(run("outbox", "show", "2").output)["payload"] == {"order_id": 2}

    huge = "99999999999999999999"
    assert run("outbox", "show", huge, code=1).output == f"error: no outbox message {huge}\n"
    assert run("outbox", "replay", huge, code=1).output == f"error: no outbox message {huge}\n"
    refused = run("outbox", "replay", "1", code=1).output
    elsewhere = "no worker of this OrderLoom delivers it: replay it from an OrderLoom that reads it"
    assert refused == f"error: {why}; {elsewhere}\n"
    assert run("outbox", "replay", "--dead").output.startswith("replayed 1 message(s)")
    assert run("outbox", "list", "--status", "dead").output.splitlines()[1:] == [listed[2]]


@pytest.mark.parametrize(
    ("args", "group", "first"),
    [
        (["versions", "desk-order"], "orderloom.actions", "error: a plugin cannot be loaded: entry point"),
        (
            ["orders", "list", "--lang", "zh"],
            "orderloom.actions",
            "错误：插件无法加载：orderloom.actions 中的入口点",
        ),
        (["validate", "workflows"], "orderloom.actions", "error: a plugin cannot be loaded: entry point"),
        (["serve", "--port", "0"], "orderloom.actions", "error: a plugin cannot be loaded: entry point"),
        (
            ["forms", "preview", "forms/showroom/quote.json", "-o", "quote.html", "--lang", "en"],
            "orderloom.option_sources",
            "error: a plugin cannot be loaded: entry point",
        ),
    ],
    ids=["versions", "orders-list-zh", "validate", "serve", "forms-preview"],
)
def test_a_plugin_refused_as_it_loads_is_one_line_naming_it(
    run: Run,
    root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    group: str,
    first: str,
) -> None:
    _installed(tmp_path, monkeypatch, group, "shop.broken = MODULE:two_arguments")
    monkeypatch.chdir(root)
    result = run(*args, code=1)
    assert "is running" not in result.stdout
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(first)
    assert "'shop.broken'" in result.stderr
    assert "Traceback" not in result.output
