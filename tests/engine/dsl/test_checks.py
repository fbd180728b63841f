"""The workflow checks (engine/dsl/checks.py) word every problem in Chinese and English.

The English is what ``orderloom validate`` prints (test_fixtures.py holds it for every fixture); here
each family of checks is read in Chinese, as a studio page in zh shows it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.dsl.checks import check_workflow, discover_with_problems
from engine.errors import Problem

from .support import ACTION_NAMES, ACTION_WRITES, FIXTURES, INVALID, VALID, fixture_workflows


def problems_of(fixture: str) -> list[Problem]:
    checked = check_workflow(
        INVALID / fixture,
        FIXTURES,
        action_names=ACTION_NAMES,
        workflows=fixture_workflows(),
        action_writes=ACTION_WRITES,
    )
    return [*checked.problems, *checked.warnings]


def in_chinese(problems: list[Problem], code: str) -> list[tuple[str, str | None]]:
    return [(p.message_in("zh"), p.hint_in("zh")) for p in problems if p.code == code]


# (fixture, code, [(message in zh, hint in zh)] of that code, in the order reported)
FAMILIES = [
    (
        "unknown-dest-state.yaml",
        "unknown-state",
        [("dest 中有未知的状态 'shiped'；您是否想输入 'shipped'？", None)],
    ),
    (
        "unknown-source-state.yaml",
        "unknown-state",
        [("source 中有未知的状态 'payed'；您是否想输入 'paid'？", None)],
    ),
    (
        "unknown-initial.yaml",
        "unknown-state",
        [("未知的初始状态 'pending_paymnt'；您是否想输入 'pending_payment'？", None)],
    ),
    ("unknown-role.yaml", "unknown-role", [("未知的角色 'warehose'", "请把它加入工作流的 roles: 列表")]),
    (
        "unknown-action.yaml",
        "unknown-action",
        [
            (
                "未知的动作 'payments.captur'；您是否想输入 'payments.capture'？",
                "动作是已注册的插件名称（orderloom.actions）",
            ),
            (
                "未知的动作 'logistics.teleport'；您是否想输入 'logistics.waybill'？",
                "动作是已注册的插件名称（orderloom.actions）",
            ),
        ],
    ),
    (
        "dead-end-state.yaml",
        "dead-end",
        [
            (
                "状态 'shipped' 不是终止状态，但没有任何流转离开它",
                "请添加一条从它出发的流转，或把它标为 final: true",
            )
        ],
    ),
    (
        "unreachable-state.yaml",
        "unreachable",
        [("从初始状态 'pending_payment' 无法到达状态 'lost'", "请添加一条进入它的流转，或删除它")],
    ),
    (
        "ambiguous-trigger.yaml",
        "ambiguous-trigger",
        [
            (
                "在状态 'paid' 下，操作 'ship' 还对应位于本文件第 16 行的流转；"
                "两者都没有 'when' 或 'rules' 来决定走哪一条",
                "请给其中一条加上 'when' 条件，或缩小它的来源状态",
            )
        ],
    ),
    (
        "trigger-forms.yaml",
        "trigger-forms",
        [
            (
                "在状态 'pending_payment' 下，操作 'pay' 在这里使用表单 'forms/retail/payment.json'，"
                "而在位于本文件第 17 行的流转中不带表单；"
                "提交的数据先按第一条流转的表单检查，然后才会对任何 'when' 求值",
                "同一状态下同一操作的流转请使用相同的表单，或给它们起不同的名字"
                "（不带表单的自动步骤：例如在 'pay' 旁边用 'skip_payment'）",
            ),
            (
                "在状态 'paid' 下，操作 'cancel' 在这里不带表单，"
                "而在位于本文件第 20 行的流转中使用表单 'forms/retail/payment.json'；"
                "提交的数据先按第一条流转的表单检查，然后才会对任何 'when' 求值",
                "同一状态下同一操作的流转请使用相同的表单，或给它们起不同的名字"
                "（不带表单的自动步骤：例如在 'pay' 旁边用 'skip_payment'）",
            ),
        ],
    ),
    (
        "missing-form.yaml",
        "missing-file",
        [
            (
                "找不到表单文件 'forms/retail/paymnt.json'；您是否想输入 'forms/retail/payment.json'？",
                "路径相对于定义根目录",
            )
        ],
    ),
    (
        "missing-rules.yaml",
        "missing-file",
        [
            (
                "找不到规则文件 'rules/retail/audti.yaml'；您是否想输入 'rules/retail/audit.yaml'？",
                "路径相对于定义根目录",
            )
        ],
    ),
    (
        "invalid-rules.yaml",
        "bad-rules",
        [("规则文件 'rules/retail/broken.yaml' 无效（其中报告了 1 个问题）", None)],
    ),
    (
        "rules-kind-not-evaluated.yaml",
        "unsupported-rules-kind",
        [
            (
                "规则文件类型 'correlation' 无法选择目标状态；"
                "只有 audit、decision_table 或 routing 类规则文件可以",
                "rules/retail/fraud.yaml 声明的类型是 'correlation'；"
                "请让 'rules:' 指向 audit、decision_table 或 routing 类的规则文件",
            )
        ],
    ),
    (
        "dest-map-without-rules.yaml",
        "dest-without-rules",
        [
            (
                "'dest' 把结果对应到状态，因此流转 'ship' 需要 'rules:'",
                "请写明由哪个规则文件的结果选择目标状态，或只给一个目标状态",
            )
        ],
    ),
    (
        "unmapped-outcome.yaml",
        "unmapped-outcome",
        [
            (
                f"'rules/retail/audit.yaml' 的结果 {outcome!r} 在 'dest' 中没有对应的状态",
                "请为每个结果指定状态：approve、hold、reject",
            )
            for outcome in ("hold", "reject")
        ],
    ),
    (
        "unmapped-outcome.yaml",
        "unknown-outcome",
        [("'rules/retail/audit.yaml' 没有结果 'rejcet'；您是否想输入 'reject'？", None)],
    ),
    (
        "owned-field.yaml",
        "owned-field",
        [
            (
                f"'adjust' 的表单 'forms/retail/adjustment.json' 声明了字段 {field!r}，"
                f"而它由工作流记录（由动作 {action} 写入）：任何提交的数据都不能写入它",
                "请从表单中删除该字段，或让本流转的某个动作写入它"
                "（表单可以把动作所需的输入发给该动作：例如把运单号发给 logistics.waybill）",
            )
            for field, action in (("paid_amount", "payments.capture"), ("refunded_amount", "payments.refund"))
        ],
    ),
    (
        "reserved-trigger.yaml",
        "reserved-trigger",
        [
            (
                f"操作名 {trigger!r} 是保留名：审计日志把订单的创建记为 'create'，把版本迁移记为 'migrate'，"
                "订单历史和事件关联会把这一步误当作其中之一",
                "请给这一步换个名字，例如 'place' 或 'submit'",
            )
            for trigger in ("create", "migrate")
        ],
    ),
    (
        "refusal-without-when.yaml",
        "refusal-without-when",
        [
            (
                "流转 'cancel' 写了 refusal，却没有 when：它永远不会被拒绝",
                "refusal 是 when 条件不成立时告诉用户的话；请补上条件，或删除 refusal",
            )
        ],
    ),
    (
        "from-final.yaml",
        "from-final",
        [
            (
                "流转 'reopen' 从终止状态 'cancelled' 出发",
                "终止状态意味着订单已结束；请删除 final: true，或删除这个来源状态",
            )
        ],
    ),
    (
        "parallel-problems.yaml",
        "region-no-final",
        [
            (
                "'paid' 的并行区域 'payment' 没有终止状态，因此 'paid' 永远无法完成",
                "请把该区域的最后一个状态标为 final: true",
            )
        ],
    ),
    (
        "parallel-problems.yaml",
        "region-scope",
        [
            (
                f"流转 {trigger!r} 从 {source!r} 直接进入并行区域 'stock' 中的 'paid.stock.reserved'",
                "请改为进入并行状态 'paid'：每个区域都从它的初始状态开始",
            )
            for trigger, source in (("pay", "pending_payment"), ("jump", "paid.payment.awaiting"))
        ],
    ),
    (
        "parallel-join.yaml",
        "join-never",
        [
            (
                "流转 'abandon' 从 'fulfilling.payment.awaiting' 离开并行状态 'fulfilling'，"
                "但没有 interrupts: true，因此要等 'fulfilling' 的每个区域都完成，"
                "而订单处于 'fulfilling.payment.awaiting' 时这永远不会发生",
                "如果它是要提前结束其他区域（如取消），请加上 interrupts: true；"
                "如果要等每个区域都完成，请让它从 'fulfilling' 出发",
            )
        ],
    ),
    (
        "parallel-join.yaml",
        "timer-trigger",
        [
            (
                "定时器触发操作 'expire'，但它离开 'fulfilling' 的流转要等每个区域都完成，"
                "而订单处于 'fulfilling.payment.awaiting' 时这永远不会发生",
                "请给那条流转加上 interrupts: true（如取消那样）",
            )
        ],
    ),
    (
        "timer-without-transition.yaml",
        "timer-trigger",
        [
            (
                f"定时器触发操作 {trigger!r}，但没有这个操作的流转离开 {state!r}",
                "请从这个状态添加一条该操作的流转",
            )
            for trigger, state in (("expire", "pending_payment"), ("pay", "shipped"))
        ],
    ),
    (
        "empty-file.yaml",
        "empty-file",
        [
            (
                "文件是空的",
                "工作流以 schema_version、workflow、department、title、initial、states 和 transitions 开头；"
                "覆盖定义以 schema_version、extends 和 workflow 开头；"
                "规则文件以 schema_version、ruleset 和 kind 开头",
            )
        ],
    ),
    (
        "overlay-unknown-extends.yaml",
        "unknown-workflow",
        [("extends 中有未知的工作流 'retail-ordr'；您是否想输入 'retail-order'？", None)],
    ),
    (
        "approval-problems.yaml",
        "approval-return",
        [
            (
                "不能把订单退回到 'done'：它不是 'review' 之前的步骤（从它到不了 'review'）",
                "请只列出订单走到这里之前经过的顶层状态",
            )
        ],
    ),
    (
        "approval-problems.yaml",
        "approval-sign",
        [("要求 3 人通过，但只列出了 2 位审批人", "请减少人数，或添加审批人（全部通过请写 all）")],
    ),
    (
        "approval-problems.yaml",
        "approval-timeout",
        [("超时退回，但 'checked' 的审批没有 return_to", "请给审批加上 return_to: [某个较早的状态]")],
    ),
    (
        "approval-auto.yaml",
        "approval-auto",
        [
            (
                f"流转 {trigger!r} 是 'review' 审批的 {trigger} 操作，却标记了 auto: true："
                "引擎会在没有审批人签署的情况下自动执行它",
                "请删除 auto: true：审批人签署足够后，审批会执行这条流转",
            )
            for trigger in ("approve", "decline")
        ],
    ),
]


@pytest.mark.parametrize(("fixture", "code", "expected"), FAMILIES, ids=[f"{f}:{c}" for f, c, _ in FAMILIES])
def test_each_family_of_workflow_checks_says_its_problem_in_chinese(
    fixture: str, code: str, expected: list[tuple[str, str | None]]
) -> None:
    problems = problems_of(fixture)
    assert in_chinese(problems, code) == expected
    for problem in problems:
        if problem.code == code:  # the English stays what the CLI prints
            assert problem.words.en != problem.words.zh
            assert problem.message_in("en") == problem.message


def test_a_condition_that_does_not_parse_and_a_form_that_is_not_valid_are_said_in_chinese() -> None:
    """The detail comes from the checks of expressions and of forms; the workflow check words its part."""
    conditions = [p for p in problems_of("invalid-condition.yaml") if p.code == "bad-condition"]
    assert len(conditions) == 2
    for problem in conditions:
        assert problem.message_in("zh").startswith("条件无效：")
        assert problem.message.startswith("invalid condition: ")
    forms = [p for p in problems_of("invalid-form.yaml") if p.code == "bad-form"]
    assert [p.message_in("zh").split("：")[0] for p in forms] == [
        "表单 'forms/retail/broken.json' 无效",
        "表单 'forms/retail/not-a-schema.json' 无效",
    ]


def test_a_problem_reads_whole_in_chinese_with_its_place_and_hint() -> None:
    [problem] = [p for p in problems_of("unknown-role.yaml") if p.code == "unknown-role"]
    assert problem.format("zh") == (
        f"invalid/unknown-role.yaml:{problem.line}:{problem.column}: 错误: 未知的角色 'warehose' "
        f"[位于 {problem.json_path}]（提示：请把它加入工作流的 roles: 列表）"
    )


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fulfilment_root(tmp_path: Path, text: str) -> tuple[Path, Path]:
    for folder in ("forms", "rules"):
        shutil.copytree(FIXTURES / folder, tmp_path / folder)
    return tmp_path, write(tmp_path, "workflows/fulfilment.yaml", text)


def test_the_warnings_of_parallel_states_are_said_in_chinese(tmp_path: Path) -> None:
    text = (VALID / "fulfilment.yaml").read_text(encoding="utf-8")
    text = text.replace("roles: [clerk], interrupts: true}", "roles: [clerk]}")
    text = text.replace("  - {trigger: accept,", "  - {trigger: accept, interrupts: true,")
    label = "  fulfilling:\n    label: {zh: 履约中, en: Fulfilling}\n"
    text = text.replace(label, label + "    timers: [{after: 7d, trigger: cancel}]\n")
    root, path = fulfilment_root(tmp_path, text)
    checked = check_workflow(path, root, action_names=ACTION_NAMES, workflows={})
    assert checked.problems == []
    assert [(p.code, p.message_in("zh"), p.hint_in("zh")) for p in checked.warnings] == [
        (
            "timer-join",
            "定时器触发操作 'cancel'，而它离开 'fulfilling' 的流转要等每个区域都完成："
            "如果定时器到期时各区域尚未全部完成，定时器就会被取消",
            "如果定时器是要提前结束这些区域，请给那条流转加上 interrupts: true",
        ),
        (
            "interrupts-nothing",
            "流转 'accept' 写了 interrupts: true，但它并不离开任何并行状态",
            "interrupts 只对离开并行状态的流转有意义；请删除它",
        ),
        (
            "after-join",
            "离开 'fulfilling' 的流转 'cancel' 永远不会被执行：一旦每个区域都完成，"
            "第 34 行的自动流转就会先离开 'fulfilling'",
            "请给那条自动流转加上 'when'；如果这一条可以在各区域完成前离开，请给它加上 interrupts: true",
        ),
    ]


def test_a_final_state_that_is_parallel_or_has_timers_is_said_in_chinese(tmp_path: Path) -> None:
    text = (VALID / "fulfilment.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    label: {zh: 履约中, en: Fulfilling}\n",
        "    label: {zh: 履约中, en: Fulfilling}\n    final: true\n",
    )
    text = text.replace(
        "fulfilled: {label: {zh: 已履约, en: Fulfilled}, final: true}",
        "fulfilled: {label: {zh: 已履约, en: Fulfilled}, final: true,"
        " timers: [{after: 1d, trigger: cancel}]}",
    )
    root, path = fulfilment_root(tmp_path, text)
    problems = check_workflow(path, root, action_names=ACTION_NAMES, workflows={}).problems
    said = {p.code: p.message_in("zh") for p in problems}
    assert said["final-parallel"] == "状态 'fulfilling' 不能既是终止状态又是并行状态"
    assert said["final-timers"] == "终止状态 'fulfilled' 不能有定时器：订单不会再离开它"


def test_a_workflow_name_used_twice_is_said_in_chinese(tmp_path: Path) -> None:
    text = (VALID / "retail-order.yaml").read_text(encoding="utf-8")
    write(tmp_path, "workflows/a.yaml", text)
    write(tmp_path, "workflows/b.yaml", text)
    _, [problem] = discover_with_problems(tmp_path)
    assert problem.code == "duplicate-workflow"
    assert problem.message_in("zh") == "工作流 'retail-order' 也在 workflows/a.yaml 中定义"
    assert problem.hint_in("zh") == "工作流名称在整个定义根目录中必须唯一"
    assert problem.message == "workflow 'retail-order' is also defined in workflows/a.yaml"


def test_a_file_that_is_not_a_mapping_is_said_in_chinese(tmp_path: Path) -> None:
    path = write(tmp_path, "workflows/w.yaml", "- just\n- a list\n")
    [problem] = check_workflow(path, tmp_path).problems
    assert (problem.code, problem.message_in("zh")) == ("wrong-type", "工作流文件必须是映射（键: 值）")


def test_overlays_in_a_circle_and_a_broken_base_are_said_in_chinese(tmp_path: Path) -> None:
    write(tmp_path, "workflows/a.yaml", "schema_version: 1\nextends: b\nworkflow: a\n")
    write(tmp_path, "workflows/b.yaml", "schema_version: 1\nextends: a\nworkflow: b\n")
    problems = check_workflow(tmp_path / "workflows" / "a.yaml", tmp_path).problems
    assert [(p.file, p.code, p.message_in("zh")) for p in problems] == [
        ("workflows/a.yaml", "bad-base", "它所扩展的工作流 'b' 有问题"),
        ("workflows/b.yaml", "extends-cycle", "工作流 'a' 经由覆盖定义又扩展回它自己"),
    ]


def retail_root(tmp_path: Path, workflow: str, rules: str) -> tuple[Path, Path]:
    for folder in ("forms", "rules"):
        shutil.copytree(FIXTURES / folder, tmp_path / folder)
    write(tmp_path, "rules/retail/audit.yaml", rules)
    return tmp_path, write(tmp_path, "workflows/retail-order.yaml", workflow)


def test_a_rule_files_queue_no_state_declares_is_a_warning_with_the_nearest(tmp_path: Path) -> None:
    workflow = (VALID / "retail-order.yaml").read_text(encoding="utf-8")
    rules = (FIXTURES / "rules/retail/audit.yaml").read_text(encoding="utf-8")
    misspelt = rules.replace("    outcome: hold\n", "    outcome: hold\n    queue: risk-reveiw\n", 1)
    root, path = retail_root(tmp_path, workflow, misspelt)
    checked = check_workflow(path, root, action_names=ACTION_NAMES, workflows={})
    assert checked.problems == []
    [warning] = [p for p in checked.warnings if p.code == "unknown-queue"]
    line = misspelt.split("\n").index("    queue: risk-reveiw") + 1
    assert (warning.file, warning.line, warning.column, warning.json_path) == (
        "rules/retail/audit.yaml",
        line,
        12,
        "$.rules[0].queue",
    )
    assert (warning.severity, warning.suggestion) == ("warning", "risk-review")
    assert warning.hint_in("zh") == "队列由工作流的状态声明（queue:）：risk-review"
    # a queue a state inside a parallel region declares is known too; one near none has no suggestion
    regional = workflow.replace(
        "  on_hold: {label: {zh: 待审核, en: On hold}, queue: risk-review}",
        "  on_hold: {label: {zh: 待审核, en: On hold}, queue: risk-review}\n"
        "  packing:\n    parallel:\n      boxes:\n        initial: open\n"
        "        states: {open: {queue: packing-desk}, closed: {final: true}}",
    )
    write(
        root,
        "rules/retail/audit.yaml",
        rules.replace("    outcome: hold\n", "    outcome: hold\n    queue: packing-desk\n", 1),
    )
    path = write(root, "workflows/retail-order.yaml", regional)
    checked = check_workflow(path, root, action_names=ACTION_NAMES, workflows={})
    assert [p for p in checked.warnings if p.code == "unknown-queue"] == []
    write(
        root,
        "rules/retail/audit.yaml",
        rules.replace("    outcome: hold\n", "    outcome: hold\n    queue: zzz\n", 1),
    )
    checked = check_workflow(path, root, action_names=ACTION_NAMES, workflows={})
    [warning] = [p for p in checked.warnings if p.code == "unknown-queue"]
    assert warning.suggestion is None and warning.message == (
        "unknown queue 'zzz': no state of workflow 'retail-order' has it"
    )


def test_a_form_or_rule_file_path_that_names_no_file_suggests_the_nearest(tmp_path: Path) -> None:
    workflow = (VALID / "retail-order.yaml").read_text(encoding="utf-8")
    rules = (FIXTURES / "rules/retail/audit.yaml").read_text(encoding="utf-8")
    misspelt = workflow.replace("rules: rules/retail/audit.yaml", "rules: rules/retail/audti.yaml")
    misspelt = misspelt.replace("data: forms/retail/order.json", "data: forms/retail/ordr.json")
    root, path = retail_root(tmp_path, misspelt, rules)
    found = {
        p.words.zh: p.suggestion
        for p in check_workflow(path, root, action_names=ACTION_NAMES, workflows={}).problems
        if p.code == "missing-file"
    }
    assert found == {
        "找不到规则文件 'rules/retail/audti.yaml'": "rules/retail/audit.yaml",
        "找不到表单文件 'forms/retail/ordr.json'": "forms/retail/order.json",
    }


def test_a_prefill_reading_a_field_the_order_may_lack_is_a_warning_with_the_nearest(tmp_path: Path) -> None:
    """The data form leaves the order open, so a field it does not declare is a warning (as in a guard),
    said in the UI file at the field's column; fields the order has pass."""
    for folder in ("forms", "rules"):
        shutil.copytree(FIXTURES / folder, tmp_path / folder)
    ui = (
        '{"schema_version": 1, "prefill": {"amount": "order.totl", "city": "order.address.city", '
        '"contact": "order.customer.mobile"}}'
    )
    write(tmp_path, "forms/checked/refund.ui.json", ui)
    text = (INVALID / "prefill-order-field.yaml").read_text(encoding="utf-8")
    path = write(tmp_path, "workflows/prefill-order-field.yaml", text)
    checked = check_workflow(path, tmp_path, action_names=ACTION_NAMES, workflows={})
    assert checked.problems == []
    [warning] = [p for p in checked.warnings if p.file == "forms/checked/refund.ui.json"]
    column = ui.index("order.totl") + len("order.") + 1
    assert (warning.line, warning.column, warning.json_path, warning.code) == (
        1,
        column,
        "$.prefill.amount",
        "unknown-field",
    )
    assert (warning.severity, warning.suggestion) == ("warning", "total")
    assert warning.message == "unknown field 'order.totl': the order has no 'totl'; did you mean 'total'?"
    assert warning.message_in("zh") == "未知字段 'order.totl'：订单没有 'totl'；您是否想输入 'total'？"


def test_an_original_order_kind_naming_no_field_of_the_data_form_is_said_with_the_nearest(
    tmp_path: Path,
) -> None:
    """``original_order.kind`` names the field the other order's page shows in words: one the data form
    does not have is refused where it is written, in both languages, with the nearest name."""
    repo = Path(__file__).resolve().parents[3]
    for folder in ("forms", "rules"):
        shutil.copytree(repo / folder, tmp_path / folder)
    text = (repo / "workflows/after-sales/request.yaml").read_text(encoding="utf-8")
    assert "kind: type," in text
    path = write(tmp_path, "workflows/after-sales/request.yaml", text.replace("kind: type,", "kind: typ,"))
    checked = check_workflow(path, tmp_path, action_names=ACTION_NAMES, workflows={})
    [problem] = [p for p in checked.problems if p.json_path == "$.original_order.kind"]
    assert (problem.code, problem.suggestion) == ("unknown-field", "type")
    assert problem.message_in("zh").startswith("original_order.kind 中的字段 'typ' 不是数据表单")
    assert "field 'typ' in original_order.kind is not a top-level field" in problem.message
