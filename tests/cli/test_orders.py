"""``orderloom orders``: create, fire, show and list, run in-process against a real SQLite file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, delete, select, update

from cli.main import main
from engine.store import tables
from tests.cli.support import Run, create, publish_desk


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


def test_orders_are_created_fired_and_listed_in_chinese(run: Run, root: Path) -> None:
    publish_desk(run, root)
    args = ["orders", "create", "--department", "desk", "--workflow", "desk-order", "--channel", "phone"]
    data = '{"customer": "王芳", "total": 120}'
    created = run(*args, "--data", data, "--role", "clerk", "--lang", "zh").output
    found = re.fullmatch(r"订单 #(\d+) 已创建，状态 pending_payment（desk-order v1）\n", created)
    assert found, created
    order_id = found.group(1)
    pay = ["orders", "fire", order_id, "pay", "--data", '{"amount": 120}', "--role", "clerk", "--lang", "zh"]
    assert run(*pay).output == f"订单 #{order_id}：pending_payment --pay--> paid\n"
    none = run("orders", "list", "--state", "cancelled", "--lang", "zh")
    assert (none.stdout, none.stderr) == ("", "没有符合条件的订单\n")


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
    assert "Amount: must be a number" in run(*bad, "--lang", "en", code=1).output
    assert "需要角色 clerk" in run("orders", "fire", str(order_id), "pay", "--lang", "zh", code=1).output


def test_a_missing_order_is_named_in_both_languages(run: Run, root: Path) -> None:
    publish_desk(run, root)
    zh = run("orders", "show", "99999", "--lang", "zh", code=1)
    assert zh.output == "错误：找不到订单 #99999\n"
    assert run("orders", "show", "99999", code=1).output == "error: order #99999 not found\n"
    fired = run("orders", "fire", "99999", "pay", "--lang", "zh", code=1).output
    assert fired == "错误：找不到订单 #99999\n"


def test_an_order_id_above_2_to_the_63_is_not_found_in_both_languages(run: Run, root: Path) -> None:
    publish_desk(run, root)
    huge = "99999999999999999999999"
    assert run("orders", "show", huge, code=1).output == f"error: order #{huge} not found\n"
    assert run("orders", "show", huge, "--lang", "zh", code=1).output == f"错误：找不到订单 #{huge}\n"
    assert run("orders", "fire", huge, "pay", code=1).output == f"error: order #{huge} not found\n"
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


@pytest.fixture(params=["sqlite", "postgres"])
def run_on(request: pytest.FixtureRequest, root: Path, tmp_path: Path) -> tuple[Run, str]:
    """``orderloom`` run in-process on a new SQLite file, then on a new PostgreSQL database; and its URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}"
    else:
        url = str(request.getfixturevalue("pg_url"))
    env = {"ORDERLOOM_DEFINITIONS": str(root), "ORDERLOOM_DATABASE_URL": url}

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    invoke("db", "upgrade")
    return invoke, url


def _terms(url: str) -> set[tuple[int, str, str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        columns = tables.order_search_terms.c
        found = set(connection.execute(select(columns.order_id, columns.kind, columns.term)).all())
    engine.dispose()
    return {(int(order_id), kind, term) for order_id, kind, term in found}


def test_orders_reindex_rebuilds_the_terms_from_each_orders_version_a_chunk_at_a_time(
    run_on: tuple[Run, str], root: Path
) -> None:
    run, url = run_on
    publish_desk(run, root)
    first, second, third = (create(run) for _ in range(3))
    path = root / "workflows" / "desk.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("data: forms/order.json\n", "data: forms/order.json\nsearch: {name: [customer]}\n")
    )
    assert "published version 2" in run("publish", str(path)).output
    # the orders are on v1, which has no search: nothing to build
    assert run("orders", "reindex").output.endswith(
        "reindexed 3 order(s) (0 search term(s)); 0 had missing or stale terms and were rewritten\n"
    )
    assert _terms(url) == set()
    run("migrate", "desk-order", "--to", "2", "--from", "1")
    assert _terms(url) == {(n, "name", "王芳") for n in (first, second, third)}
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            delete(tables.order_search_terms).where(tables.order_search_terms.c.order_id != first)
        )
    engine.dispose()
    out = run("orders", "reindex", "--workflow", "desk-order", "--chunk", "2").output
    assert out == (
        f"chunk 1: orders #1 to #{second}, 2 read, 1 rewritten\n"
        f"chunk 2: orders #{second + 1} to #{third}, 1 read, 1 rewritten\n"
        "reindexed 3 order(s) (3 search term(s)); 2 had missing or stale terms and were rewritten\n"
    )
    assert _terms(url) == {(n, "name", "王芳") for n in (first, second, third)}
    again = run("orders", "reindex", "--department", "desk", "--lang", "zh").output
    assert again == (
        f"第 1 批：订单 #1 至 #{third}，读取 3 个，重写 0 个\n"
        "已为 3 个订单建立搜索索引（3 个搜索词）；其中 0 个的搜索词缺失或过时，已重写\n"
    )


def test_orders_reindex_refuses_an_unknown_workflow_or_department_in_both_languages(
    run: Run, root: Path
) -> None:
    publish_desk(run, root)
    create(run)
    said = run("orders", "reindex", "--workflow", "desk-ordr", code=1).output
    assert said == "error: workflow desk-ordr is not published; did you mean 'desk-order'?\n"
    said = run("orders", "reindex", "--department", "dsk", "--lang", "zh", code=1).output
    assert said == "错误：部门 'dsk' 没有订单；您是否想输入 'desk'？\n"
    assert "--chunk" in run("orders", "reindex", "--chunk", "0", code=2).output
