"""``orderloom accounts``: customers' accounts set and listed, refused field by field, in zh and en."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.cli.support import REPO, Run


def test_accounts_are_set_listed_and_their_figures_changed(run: Run) -> None:
    assert "no accounts yet" in run("accounts", "list").output
    added = run(
        "accounts", "set", "W100231", "--department", "wholesale", "--company", "上海鑫达商贸有限公司",
        "--credit-limit", "500000", "--opening-balance", "80000.5", "--tier", "gold",
    )  # fmt: skip
    assert added.output.startswith(
        "account W100231 of wholesale added: 上海鑫达商贸有限公司, credit limit 500000.00"
    )
    # nothing of wholesale is published here: the output says what was checked, and what was not
    assert "note: no published workflow of department wholesale holds an account, so only the record" in (
        added.output
    )
    updated = run(  # --outstanding, the option's older name, sets it too
        "accounts", "set", "W100231", "--department", "wholesale", "--company", "上海鑫达商贸有限公司",
        "--credit-limit", "500000", "--outstanding", "495000", "--status", "watch", "--overdue-days", "31",
    )  # fmt: skip
    assert "updated" in updated.output
    listed = run("accounts", "list", "--department", "wholesale").output.splitlines()
    assert listed == [
        "wholesale W100231: 上海鑫达商贸有限公司, credit limit 500000.00, opening balance 495000.00, "
        "owed in all 495000.00, 31 day(s) overdue, watch"
    ]


def test_accounts_are_set_and_listed_in_chinese(run: Run) -> None:
    assert run("accounts", "list", "--lang", "zh").output.startswith("还没有客户账户：")
    added = run(
        "accounts", "set", "W100231", "--department", "wholesale", "--company", "上海鑫达商贸有限公司",
        "--credit-limit", "500000", "--tier", "gold", "--tax-id", "91310000MA1FL0000X", "--lang", "zh",
    ).output.splitlines()  # fmt: skip
    assert added[0] == (
        "已添加部门 wholesale 的客户账户 W100231：上海鑫达商贸有限公司，信用额度 500000.00，期初欠款 0.00，"
        "逾期 0 天，active，等级 gold，税号 91310000MA1FL0000X"
    )
    assert added[1].startswith("注意：")
    listed = run("accounts", "list", "--lang", "zh").output.splitlines()
    assert listed == [
        "wholesale W100231：上海鑫达商贸有限公司，信用额度 500000.00，期初欠款 0.00，共欠款 0.00，逾期 0 天，"
        "active，等级 gold，税号 91310000MA1FL0000X"
    ]


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--credit-limit", "-1", "--credit-limit"),
        ("--opening-balance", "abc", "--opening-balance"),
        ("--status", "frozen", "--status"),
        (
            "--opening-balance",
            "0.001",
            "  --opening-balance: Opening balance (CNY): enter an amount with at most two decimals",
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
    result = run(*args, option, value, code=1 if option == "--opening-balance" and value == "0.001" else 2)
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
        f"  --company: Account's company: at least 2 characters ({order_form})",
        f"  ACCOUNT_NO: Account number: enter the letter W and 6 digits, like W100231 ({every_form})",
        "  --tax-id: Account's unified social credit code: enter 18 digits and capital letters (no I, O, S, "
        f"V or Z), like 91310000MA1FL0000X ({order_form})",
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


def test_an_account_manager_is_set_shown_and_refused_when_not_a_user_of_the_department(
    tmp_path: Path,
) -> None:
    env = {"ORDERLOOM_DEFINITIONS": str(REPO), "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}"}

    def run(*args: str, code: int = 0, given: str | None = None) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, input=given, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    run("db", "upgrade")
    for name, department in (("sun.li", "wholesale"), ("li.na", "retail")):
        add = ["users", "add", name, "--role", "approver", "--department", department, "--password-stdin"]
        run(*add, given="a-long-password\n")
    account = ["accounts", "set", "W100231", "--department", "wholesale", "--company", "鑫达"]
    account += ["--credit-limit", "1"]
    assert run(*account, "--manager", "sun.lee", code=1).output.splitlines()[1:] == [
        "  --manager: The account manager sun.lee is not an active user of department wholesale; "
        "did you mean 'sun.li'?"
    ]
    zh = run(*account, "--manager", "li.na", "--lang", "zh", code=1).output.splitlines()
    assert zh[1] == "  --manager：客户经理 li.na 不是部门 wholesale 的在职用户"
    assert "no accounts yet" in run("accounts", "list").output
    added = run(*account, "--manager", "sun.li").output.splitlines()[0]
    assert added.endswith("0 day(s) overdue, active, account manager sun.li")
    assert run("accounts", "list", "--lang", "zh").output.splitlines() == [
        "wholesale W100231：鑫达，信用额度 1.00，期初欠款 0.00，共欠款 0.00，逾期 0 天，active，"
        "客户经理 sun.li"
    ]
    run(*account)  # set again without one: the account has none
    assert "manager" not in run("accounts", "list").output


def test_an_accounts_contact_and_address_are_set_listed_and_a_wrong_mobile_refused(run: Run) -> None:
    """What the wholesale intake's account picker fills in, kept with the record."""
    account = (
        "accounts", "set", "W100231", "--department", "wholesale", "--company", "上海鑫达商贸有限公司",
        "--credit-limit", "500000",
    )  # fmt: skip
    held = (
        "--contact", "陈静", "--province", "广东省", "--city", "广州市", "--district", "天河区",
        "--address", "体育西路191号B座", "--postcode", "510620",
    )  # fmt: skip
    refused = run(*account, *held, "--mobile", "1391234", code=1)
    assert "--mobile: Contact's mobile number: enter an 11-digit mobile number starting with 1" in (
        refused.output
    )
    run(*account, *held, "--mobile", "13912345678")
    [listed] = run("accounts", "list").output.splitlines()
    assert listed.endswith(", contact 陈静 13912345678, address 广东省广州市天河区体育西路191号B座 510620")
    zh = run("accounts", "list", "--lang", "zh").output
    assert "，联系人 陈静 13912345678，地址 广东省广州市天河区体育西路191号B座 510620" in zh
