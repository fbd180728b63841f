"""``orderloom rules test`` and ``orderloom rules replay``, run in-process on the shipped rule files."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from demo.loader import stock_warehouses
from engine.store import Store
from engine.store.studio import store_texts

REPO = Path(__file__).resolve().parents[2]
SHIPPED = [
    "rules/retail/audit.yaml",
    "rules/retail/flash-sale-audit.yaml",
    "rules/retail/routing.yaml",
    "rules/wholesale/credit.yaml",
    "rules/wholesale/approval.yaml",
    "rules/after-sales/eligibility.yaml",
]

Run = Callable[..., Result]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the shipped definitions, so a test may write drafts and cases beside them."""
    copied = tmp_path / "defs"
    for folder in ("workflows", "forms", "rules"):
        shutil.copytree(REPO / folder, copied / folder)
    return copied


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}"


@pytest.fixture
def run(root: Path, url: str) -> Run:
    env = {"ORDERLOOM_DEFINITIONS": str(root), "ORDERLOOM_DATABASE_URL": url}

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


# --- rules test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule_file", SHIPPED)
def test_the_shipped_cases_pass_with_every_rule_exercised(run: Run, root: Path, rule_file: str) -> None:
    result = run("rules", "test", str(root / rule_file), "--strict")
    lines = result.output.splitlines()
    assert lines and all(line.startswith("PASS ") for line in lines[:-2]), result.output
    assert re.fullmatch(r"[a-z-]+ \(version [0-9a-f]{16}\): \d+ passed, 0 failed", lines[-2])
    assert re.fullmatch(r"coverage: all \d+ rules seen matching and not matching", lines[-1])


def test_help_of_the_rules_commands(run: Run) -> None:
    for command in (["rules"], ["rules", "test"], ["rules", "replay"]):
        assert "Usage: " in run(*command, "--help").output


def test_a_failing_case_fails_the_run(run: Run, root: Path) -> None:
    # The threshold moves, the cases do not: the large-amount case now fails.
    path = root / "rules" / "retail" / "audit.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("when: order.total > 5000", "when: order.total > 10000"),
        encoding="utf-8",
    )
    result = run("rules", "test", str(path), code=1)
    assert "PASS ordinary-order" in result.output
    assert (
        "FAIL large-amount: expected outcome hold, got approve; expected queue risk-review, got none;"
        " expected rules [large-amount], got [] (rules that spoke: none)"
    ) in result.output.splitlines()
    assert re.search(r"retail-audit \(version [0-9a-f]{16}\): 13 passed, 1 failed", result.output)
    # reject-beats-hold still sees large-amount match (12999 CNY): it is exercised both ways.
    assert result.output.splitlines()[-1] == "coverage: all 11 rules seen matching and not matching"


def test_with_published_the_cases_are_read_as_the_studio_published_them(
    run: Run, root: Path, url: str
) -> None:
    """A case changed and published in the studio is what ``rules test --published`` runs; the files
    alone still run without it."""
    run("db", "upgrade")
    cases = "rules/retail/audit.cases.yaml"
    text = (root / cases).read_text(encoding="utf-8")
    renamed = text.replace("- name: ordinary-order", "- name: an-ordinary-order", 1)
    assert renamed != text
    store = Store(url)
    try:
        with store.transaction() as tx:
            store_texts(tx, "retail", {cases: renamed}, datetime(2026, 12, 7, tzinfo=UTC), "ma.li")
    finally:
        store.dispose()
    studio = run("rules", "test", str(root / "rules/retail/audit.yaml"), "--published")
    assert "PASS an-ordinary-order" in studio.output.splitlines()
    files = run("rules", "test", str(root / "rules/retail/audit.yaml"))
    assert "PASS ordinary-order" in files.output.splitlines()


def test_the_cases_report_reads_in_chinese_with_lang_zh(run: Run, root: Path) -> None:
    path = root / "rules" / "retail" / "audit.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("when: order.total > 5000", "when: order.total > 10000"),
        encoding="utf-8",
    )
    lines = run("rules", "test", str(path), "--lang", "zh", code=1).output.splitlines()
    assert any(line.startswith("失败 large-amount：") for line in lines), lines
    assert any(line.startswith("通过 ordinary-order") for line in lines), lines
    tested = re.compile(r"retail-audit（版本 [0-9a-f]{16}）：13 个通过，1 个失败")
    assert any(tested.fullmatch(line) for line in lines)
    broken = root / "rules" / "retail" / "audit.yaml"
    broken.write_text("kind: audit\nname: retail-audit\nrules: 3\n", encoding="utf-8")
    failed = run("rules", "test", str(broken), "--lang", "zh", code=1).output
    assert ": 错误: " in failed and failed.rstrip().endswith("个错误。")


def test_unexercised_rules_warn_and_fail_only_with_strict(run: Run, root: Path) -> None:
    cases = root / "rules" / "retail" / "few.cases.yaml"
    cases.write_text(
        """\
lists: {blocked-mobiles: [], blocked-addresses: [], restricted-skus: []}
cases:
  - name: ordinary-order
    input:
      order:
        customer: {name: 王芳, mobile: '13912345678'}
        address: {province: 浙江省, city: 杭州市, district: 西湖区, detail: 文三路478号华星时代广场}
        lines: [{sku: TEA-LJ-250, name: 西湖龙井 250g, qty: 2, unit_price: 298.00, amount: 596.00}]
        shipping_fee: 0
        discount: 0
        total: 596.00
        paid_amount: 596.00
    expect: {outcome: approve}
  - name: underpaid-large
    input:
      order:
        customer: {name: 赵敏, mobile: '13712345678'}
        address: {province: 上海市, city: 上海市, district: 浦东新区, detail: 世纪大道100号环球金融中心45楼}
        lines: [{sku: NB-PRO-14, name: 笔记本电脑, qty: 1, unit_price: 8999.00, amount: 8999.00}]
        shipping_fee: 0
        discount: 0
        total: 8999.00
        paid_amount: 899.90
    expect: {outcome: hold, queue: risk-review, rules: [large-amount, underpaid]}
""",
        encoding="utf-8",
    )
    rule_file = str(root / "rules" / "retail" / "audit.yaml")
    warned = run("rules", "test", rule_file, "--cases", str(cases))
    expected = (
        "not exercised: blacklisted-mobile (never matched), blocked-address (never matched),"
        " restricted-sku (never matched), total-mismatch (never matched),"
        " negative-price (never matched), price-below-cost (never matched), bulk-quantity (never matched),"
        " incomplete-address (never matched), repeated-payment-failures (never matched)"
    )
    assert warned.output.splitlines()[-1] == expected
    strict = run("rules", "test", rule_file, "--cases", str(cases), "--strict", code=1)
    assert expected in strict.output
    assert "error: --strict: every rule must be seen matching in one case and not in another" in strict.output


def test_a_bad_cases_file_is_reported_like_validate(run: Run, root: Path) -> None:
    cases = root / "rules" / "retail" / "bad.cases.yaml"
    cases.write_text(
        "cases:\n  - name: a\n    input: {ordr: {total: 1}}\n"
        "    expect: {outcome: hold, rules: [large-amont]}\n",
        encoding="utf-8",
    )
    result = run("rules", "test", str(root / "rules/retail/audit.yaml"), "--cases", str(cases), code=1)
    assert result.output.splitlines() == [
        "rules/retail/bad.cases.yaml:3:13: error: unknown key 'ordr' in a case's input; did you mean"
        " 'order'? [at $.cases[0].input.ordr] (hint: allowed keys: actor, children, customer, data, event,"
        " item, now, order, record, records, stock, lists, facts)",
        "1 error(s) found.",
    ]
    cases.write_text(
        "cases:\n  - name: a\n    input: {order: {total: 1}}\n"
        "    expect: {outcome: hold, rules: [large-amont]}\n",
        encoding="utf-8",
    )
    result = run("rules", "test", str(root / "rules/retail/audit.yaml"), "--cases", str(cases), code=1)
    assert result.output.splitlines()[0] == (
        "rules/retail/bad.cases.yaml:4:37: error: unknown rule 'large-amont' in rule set 'retail-audit';"
        " did you mean 'large-amount'? [at $.cases[0].expect.rules[0]] (hint: rules of this rule set:"
        " blacklisted-mobile, blocked-address, restricted-sku, total-mismatch, negative-price,"
        " price-below-cost, large-amount, bulk-quantity,"
        " incomplete-address, repeated-payment-failures, underpaid)"
    )


def test_a_broken_rule_file_is_reported_and_not_run(run: Run, root: Path) -> None:
    path = root / "rules" / "retail" / "audit.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("outcome: hold", "outcome: held", 1), encoding="utf-8"
    )
    result = run("rules", "test", str(path), code=1)
    assert re.match(r"rules/retail/audit\.yaml:\d+:\d+: error: unknown outcome 'held'", result.output)
    assert "PASS" not in result.output


def test_a_rule_file_without_cases_beside_it_needs_cases(run: Run, root: Path) -> None:
    lonely = root / "rules" / "retail" / "lonely.yaml"
    shutil.copy(root / "rules" / "retail" / "audit.yaml", lonely)
    result = run("rules", "test", str(lonely), code=2)
    assert "no cases file" in result.output and "--cases" in result.output


def test_validate_accepts_the_shipped_cases_and_reports_a_broken_one(run: Run, root: Path) -> None:
    assert run("validate", str(root / "rules")).output.startswith("ok: ")
    (root / "rules" / "retail" / "audit.cases.yaml").write_text("cases: []\n", encoding="utf-8")
    result = run("validate", str(root / "rules"), code=1)
    assert result.output.splitlines()[0] == (
        "rules/retail/audit.cases.yaml:1:8: error: 'cases' must be a non-empty list of cases [at $.cases]"
    )


# --- rules replay ----------------------------------------------------------------------------------


def _retail_order(total: float, mobile: str = "13912345678") -> str:
    return json.dumps(
        {
            "customer": {"name": "王芳", "mobile": mobile},
            "address": {
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文三路478号华星时代广场",
            },
            "lines": [
                {"sku": "NB-PRO-14", "name": "笔记本电脑", "qty": 1, "unit_price": total, "amount": total}
            ],
            "shipping_fee": 0,
            "discount": 0,
            "total": total,
        },
        ensure_ascii=False,
    )


@pytest.fixture
def orders(run: Run, root: Path, url: str) -> dict[int, float]:
    """Published retail and wholesale workflows, and five paid retail orders: order id -> total."""
    run("db", "upgrade")
    run("publish", str(root / "workflows/retail/order.yaml"), str(root / "workflows/wholesale/order.yaml"))
    store = Store(url)
    try:
        stock_warehouses(store, {("NB-PRO-14", "SH-01"): 50})
    finally:
        store.dispose()
    totals: dict[int, float] = {}
    for total in (300.0, 6200.0, 12000.0, 8000.0, 4999.0):
        args = [
            "orders",
            "create",
            "--department",
            "retail",
            "--workflow",
            "retail-order",
            "--channel",
            "web",
        ]
        out = run(*args, "--data", _retail_order(total), "--role", "clerk").output
        found = re.search(r"order #(\d+) created", out)
        assert found, out
        order_id = int(found.group(1))
        payment = {"method": "alipay", "amount": total, "transaction_ref": f"20261130220014{order_id:04d}"}
        run("orders", "fire", str(order_id), "pay", "--data", json.dumps(payment), "--role", "clerk")
        totals[order_id] = total
    return totals


def _draft(root: Path, threshold: str) -> Path:
    text = (root / "rules/retail/audit.yaml").read_text(encoding="utf-8")
    draft = root / "rules" / "retail" / "audit.draft.yaml"
    draft.write_text(text.replace("order.total > 5000", f"order.total > {threshold}"), encoding="utf-8")
    return draft


def test_replay_shows_exactly_the_orders_a_raised_threshold_changes(
    run: Run, root: Path, orders: dict[int, float]
) -> None:
    draft = _draft(root, "10000")
    result = run("rules", "replay", str(draft), "--last", "10")
    lines = result.output.splitlines()
    assert re.fullmatch(
        r"retail-audit: draft version [0-9a-f]{16} over the last 5 order\(s\): 2 would change", lines[0]
    )
    assert lines[1:4] == ["  approve -> approve: 2", "  hold -> approve: 2", "  hold -> hold: 1"]
    changed = sorted((oid for oid, total in orders.items() if 5000 < total <= 10000), reverse=True)
    assert lines[4:] == [
        f"  #{oid} retail: hold (risk-review) -> approve (published: large-amount; draft: none)"
        for oid in changed
    ]
    zh = run("rules", "replay", str(draft), "--last", "10", "--lang", "zh").output.splitlines()
    assert re.fullmatch(r"retail-audit：草稿版本 [0-9a-f]{16} 回放最近 5 个订单：2 个结果会改变", zh[0])
    assert zh[4] == f"  #{changed[0]} retail: hold (risk-review) -> approve (已发布：large-amount；草稿：无)"


def test_replay_json_last_and_scope(run: Run, root: Path, orders: dict[int, float]) -> None:
    draft = _draft(root, "10000")
    newest = max(orders)
    doc = json.loads(run("rules", "replay", str(draft), "--last", "2", "--json").output)
    assert doc["orders"] == 2 and doc["ruleset"] == "retail-audit"
    assert {c["order_id"] for c in doc["changed"]} == {
        oid for oid in (newest, newest - 1) if 5000 < orders[oid] <= 10000
    }
    change = doc["changed"][0]
    assert change["department"] == "retail" and change["workflow"] == "retail-order v1"
    assert (change["old"]["outcome"], change["new"]["outcome"]) == ("hold", "approve")
    assert change["old"]["rules"] == ["large-amount"] and change["new"]["rules"] == []
    # Orders of another department, or outside the actor's departments, are not replayed.
    for args in (["--department", "wholesale"], ["--works-in", "wholesale"]):
        empty = json.loads(run("rules", "replay", str(draft), "--json", *args).output)
        assert (empty["orders"], empty["changed"]) == (0, [])
    text = run("rules", "replay", str(draft), "--works-in", "wholesale").output
    assert text == "retail-audit: no order you may see runs a published version of this rule set\n"
    zh = run("rules", "replay", str(draft), "--works-in", "wholesale", "--lang", "zh").output
    assert zh == "retail-audit：您可见的订单中没有运行此规则集已发布版本的\n"


def test_replay_of_an_unchanged_draft_changes_nothing(run: Run, root: Path, orders: dict[int, float]) -> None:
    doc = json.loads(run("rules", "replay", str(root / "rules/retail/audit.yaml"), "--json").output)
    assert doc["orders"] == len(orders) and doc["changed"] == []


def test_replay_only_counts_orders_whose_workflow_uses_the_rule_set(
    run: Run, root: Path, orders: dict[int, float]
) -> None:
    # Wholesale credit is published but no wholesale order exists; retail orders do not use it.
    doc = json.loads(run("rules", "replay", str(root / "rules/wholesale/credit.yaml"), "--json").output)
    assert (doc["ruleset"], doc["orders"]) == ("wholesale-credit", 0)


# --- rules test --at -------------------------------------------------------------------------------

TIMELESS_CASES = """\
ruleset: after-sales-eligibility
cases:
  - name: day six
    input:
      order: {delivered_at: '2026-04-25T10:00:00+08:00', reason_code: no_reason, type: return, lines: []}
    expect: {outcome: approve}
  - name: day eight
    input:
      order: {delivered_at: '2026-04-23T10:00:00+08:00', reason_code: no_reason, type: return, lines: []}
    expect: {outcome: reject, rules: [outside-return-window]}
  - name: its own moment
    input:
      order: {delivered_at: '2026-04-23T10:00:00+08:00', reason_code: no_reason, type: return, lines: []}
      now: '2026-04-24T10:00:00+08:00'
    expect: {outcome: approve}
"""


def test_at_evaluates_the_cases_that_give_no_now_at_that_moment(run: Run, root: Path) -> None:
    cases = root / "timeless.cases.yaml"
    cases.write_text(TIMELESS_CASES.replace("type: return,", "type: exchange,"), encoding="utf-8")
    rule_file = str(root / "rules" / "after-sales" / "eligibility.yaml")
    result = run("rules", "test", rule_file, "--cases", str(cases), "--at", "2026-05-01T10:00+08:00")
    lines = result.output.splitlines()
    assert lines[0] == "cases evaluated at 2026-05-01T10:00:00+08:00 (those that give no 'now')"
    assert lines[1:4] == ["PASS day six", "PASS day eight", "PASS its own moment"]
    # a day later the sixth day is the seventh: still inside; two days later it is past
    later = run("rules", "test", rule_file, "--cases", str(cases), "--at", "2026-05-03T10:01+08:00", code=1)
    assert "FAIL day six: expected outcome approve, got reject" in later.output
    said = run(
        "rules", "test", rule_file, "--cases", str(cases), "--at", "2026-05-01T10:00+08:00", "--lang", "zh"
    )
    assert said.output.splitlines()[0] == "用例在 2026-05-01T10:00:00+08:00 求值（未写 now 的用例）"


def test_without_at_rules_that_read_the_time_cannot_decide(run: Run, root: Path) -> None:
    cases = root / "timeless.cases.yaml"
    cases.write_text(TIMELESS_CASES.replace("type: return,", "type: exchange,"), encoding="utf-8")
    result = run(
        "rules",
        "test",
        str(root / "rules" / "after-sales" / "eligibility.yaml"),
        "--cases",
        str(cases),
        code=1,
    )
    assert "needs 'now', which is not set" in result.output


@pytest.mark.parametrize("moment", ["2026-05-01T10:00", "tomorrow", "2026-02-30T10:00+08:00"])
def test_at_must_be_a_time_with_its_offset(run: Run, root: Path, moment: str) -> None:
    rule_file = str(root / "rules" / "after-sales" / "eligibility.yaml")
    result = run("rules", "test", rule_file, "--at", moment, code=2)
    assert "Invalid value for --at" in result.output
