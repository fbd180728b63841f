"""The studio's rule console and form preview (web/studio_console.py), over the shipped definitions and a
real SQLite file: a draft rule change decides otherwise than the published text over the same data, an
order of the department is tried by its number, the cases run with expected against actual and the
coverage, bad pasted data is named at its line; the preview draws a draft form's fields as clerks see
them, in zh and en, and follows the draft."""

from __future__ import annotations

import html as markup
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.api import Actor
from tests.web.conftest import PASTED_ORDER, REPO_ROOT, add_user, log_in, retail_studio_app

AUDIT = "rules/retail/audit.yaml"
CONSOLE = f"/studio/retail/rules/{AUDIT}"
AUDIT_TEXT = (REPO_ROOT / AUDIT).read_text(encoding="utf-8")
RAISED = AUDIT_TEXT.replace("when: order.total > 5000", "when: order.total > 9000", 1)
FORM = "forms/retail/payment.json"
FORM_TEXT = (REPO_ROOT / FORM).read_text(encoding="utf-8")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = retail_studio_app(tmp_path, "studio-console-tests")
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    add_user(app, "li.na", "li-na-password", ("clerk",), ("retail",))
    yield app
    app.extensions["orderloom"].close()


def client(app: Flask, name: str = "ma.li") -> FlaskClient:
    return log_in(app.test_client(), name, f"{name.replace('.', '-')}-password")


def save(c: FlaskClient, path: str, text: str) -> None:
    page = c.get(f"/studio/retail/files/{path}").get_data(as_text=True)
    found = re.search(r'name="revision" value="(\d+)"', page)
    assert found is not None
    saved = c.post(
        f"/studio/retail/files/{path}", data={"action": "save", "text": text, "revision": found.group(1)}
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)


def element(html: str, element_id: str) -> str:
    """The text of the element with ``id`` (tags dropped, spaces squeezed), up to its closing tag."""
    found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.S)
    assert found is not None, f"no element #{element_id} on the page"
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", found.group(2)))).strip()


def outcome(html: str, element_id: str = "console-decision") -> str:
    found = re.search(rf'id="{element_id}">.*?<code class="outcome">([^<]*)</code>', html, re.S)
    assert found is not None, f"no outcome in #{element_id}"
    return found.group(1)


def test_a_draft_rule_change_decides_otherwise_over_the_same_data(app: Flask) -> None:
    c = client(app)
    published = c.post(CONSOLE, data={"action": "data", "data": PASTED_ORDER})
    assert published.status_code == 200
    html = published.get_data(as_text=True)
    assert "此文件没有草稿" in element(html, "console-source")
    assert outcome(html) == "hold"
    assert "订单金额超过5000元" in element(html, "console-decision")  # the reason, in the page's language
    trace = element(html, "console-trace")
    assert "large-amount order.total > 5000 成立 order.total = 6000 挂起待审 hold" in trace
    assert 'id="console-published"' not in html

    save(c, AUDIT, RAISED)
    drafted = c.post(CONSOLE, data={"action": "data", "data": PASTED_ORDER}).get_data(as_text=True)
    assert "试算的是草稿" in element(drafted, "console-source")
    assert outcome(drafted) == "approve"
    assert "large-amount order.total > 9000 不成立 order.total = 6000" in element(drafted, "console-trace")
    assert outcome(drafted, "console-published-decision") == "hold"
    assert element(drafted, "console-changed") == "草稿改变了结果。"

    english = c.post(f"{CONSOLE}?lang=en", data={"action": "data", "data": PASTED_ORDER}).get_data(
        as_text=True
    )
    assert element(english, "console-changed") == "The draft changes the outcome."

    # Published, the draft's round is over: the console tries the published text again, and says so.
    assert c.post(f"/studio/retail/files/{AUDIT}", data={"action": "publish", "revision": 1, "note": "9000"})
    again = c.post(CONSOLE, data={"action": "data", "data": PASTED_ORDER}).get_data(as_text=True)
    assert "has no draft" in element(again, "console-source") and outcome(again) == "approve"
    assert "Amount over 5000 CNY" in element(english, "console-published")


def test_an_order_of_the_department_is_tried_by_its_number(app: Flask) -> None:
    services = app.extensions["orderloom"]
    clerk = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
    data: dict[str, Any] = json.loads(json.dumps({**_order(), "total": 6000}))
    order = services.engine.create_order(clerk, "retail", "retail-order", "web", data)
    c = client(app)
    page = c.get(CONSOLE).get_data(as_text=True)
    assert f'<option value="{order.id}">' in page  # the department's recent orders to pick from
    tried = c.post(CONSOLE, data={"action": "order", "order": str(order.id)})
    assert tried.status_code == 200
    html = tried.get_data(as_text=True)
    assert outcome(html) == "hold"
    names = re.search(r'id="console-names">.*?<pre class="source">(.*?)</pre>', html, re.S)
    assert names is not None
    shown = json.loads(markup.unescape(names.group(1)))
    assert shown["order"]["id"] == order.id and shown["order"]["state"] == order.state
    assert shown["actor"]["name"] == "ma.li"

    for written, said in (
        ("abc", "“abc” 不是订单号"),
        ("0", "“0” 不是订单号"),
        ("999", "本部门没有订单 #999"),
    ):
        refused = c.post(CONSOLE, data={"action": "order", "order": written})
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert said in element(html, "console-refused") and 'id="console-result"' not in html
    english = c.post(f"{CONSOLE}?lang=en", data={"action": "order", "order": "999"}).get_data(as_text=True)
    assert element(english, "console-refused") == "no order #999 in this department"

    # Typed by a Chinese input method: full-width digits (and the # the pages show) are the same number.
    wide = str(order.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for written in (wide, f"＃{wide}", f" #{order.id} "):
        typed = c.post(CONSOLE, data={"action": "order", "order": written})
        assert typed.status_code == 200, written
        assert outcome(typed.get_data(as_text=True)) == "hold"
        assert 'id="console-order" name="order"' in typed.get_data(as_text=True)
    for written in ("1２a", "٣", "9" * 25):
        refused = c.post(CONSOLE, data={"action": "order", "order": written})
        assert refused.status_code == 422, written

    wholesale = client(app, "xu.jie")
    assert wholesale.get(CONSOLE).status_code == 403
    assert wholesale.post(CONSOLE, data={"action": "order", "order": str(order.id)}).status_code == 403
    assert client(app, "li.na").get(CONSOLE).status_code == 403
    assert c.get("/studio/retail/rules/workflows/retail/order.yaml").status_code == 404
    assert c.get("/studio/retail/rules/rules/wholesale/credit.yaml").status_code == 404


def test_a_failing_case_is_shown_with_expected_and_actual(app: Flask) -> None:
    c = client(app)
    clean = c.get(CONSOLE).get_data(as_text=True)
    assert element(clean, "console-cases-summary") == "14 个通过，0 个失败"
    save(c, AUDIT, RAISED)
    html = c.get(CONSOLE).get_data(as_text=True)
    assert element(html, "console-cases-summary") == "13 个通过，1 个失败"
    failing = re.search(r'<tr class="fail"[^>]*>(.*?)</tr>\s*</tbody>\s*</table>\s*</td>', html, re.S)
    assert failing is not None
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", failing.group(1)))
    assert "large-amount" in row and "失败" in row
    assert "outcome hold approve" in row  # what, expected, actual
    assert "queue risk-review 无" in row
    assert "rules [large-amount] []" in row


def test_the_coverage_names_the_rules_no_case_exercises(app: Flask) -> None:
    c = client(app)
    assert "全部 11 条规则" in element(c.get(CONSOLE).get_data(as_text=True), "console-coverage")
    never = (
        "  - name: huge-quantity\n    when: 'max(pluck(order.lines, \"qty\")) > 999'\n    outcome: reject\n"
    )
    save(c, AUDIT, AUDIT_TEXT + never)
    html = c.get(CONSOLE).get_data(as_text=True)
    assert element(html, "console-coverage").endswith("huge-quantity : 没有用例使它成立")
    english = c.get(f"{CONSOLE}?lang=en").get_data(as_text=True)
    assert "huge-quantity : no case makes it hold" in element(english, "console-coverage")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("order: {total: 6000\nfoo: 1", "第 2 行，第 4 列 : YAML 语法错误"),
        (
            "ordr:\n  total: 6000\n",
            "第 1 行，第 1 列 : 数据中有未知的键 'ordr'；您是否想输入 'order'？",
        ),
        ('{"order": [1, 2]}', "第 1 行，第 11 列 : 输入 'order' 必须是映射"),
        (
            "order: {note: '" + "长" * 30_000 + "'}",
            "第 1 行，第 1 列 : 数据有 90017 字节，超过上限 65536 字节",
        ),
    ],
)
def test_bad_pasted_data_is_named_and_kept(app: Flask, data: str, said: str) -> None:
    c = client(app)
    refused = c.post(CONSOLE, data={"action": "data", "data": data})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    problems = element(html, "console-data-problems")
    assert problems.startswith("粘贴的数据有 1 个问题，未作试算：") and said in problems
    assert 'aria-invalid="true"' in html and 'id="console-result"' not in html
    kept = re.search(r'<textarea id="console-data"[^>]*>(.*?)</textarea>', html, re.S)
    assert kept is not None and kept.group(1).startswith(
        data[:12].replace("'", "&#39;").replace('"', "&#34;")
    )


def test_a_draft_with_errors_shows_its_problems_and_evaluates_nothing(app: Flask) -> None:
    c = client(app)
    broken = AUDIT_TEXT.replace("default: approve", "default: aprove", 1)
    save(c, AUDIT, broken)
    html = c.get(CONSOLE).get_data(as_text=True)
    line = broken.split("\n").index("default: aprove") + 1
    problems = element(html, "console-problems")
    assert "文本有 1 个错误" in problems and f"第 {line} 行" in problems and "aprove" in problems
    assert 'id="console-data-form"' not in html and 'id="console-cases"' not in html
    tried = c.post(CONSOLE, data={"action": "data", "data": PASTED_ORDER})
    assert tried.status_code == 409 and 'id="console-result"' not in tried.get_data(as_text=True)
    assert c.post(CONSOLE, data={"action": "nothing"}).status_code == 400


def test_a_correlation_file_is_said_not_to_decide_over_one_order(app: Flask) -> None:
    html = client(app).get("/studio/retail/rules/rules/retail/fraud.yaml").get_data(as_text=True)
    assert "correlation 类规则集不对单个订单作出决定" in element(html, "console-refusal")
    assert 'id="console-data-form"' not in html


def test_the_file_page_of_a_rule_file_links_to_its_console(app: Flask) -> None:
    c = client(app)
    page = c.get(f"/studio/retail/files/{AUDIT}").get_data(as_text=True)
    assert f'href="{CONSOLE}" id="studio-console-link"' in page
    workflow = c.get("/studio/retail/files/workflows/retail/order.yaml").get_data(as_text=True)
    assert "studio-console-link" not in workflow and "studio-preview" not in workflow


# -- the form preview ------------------------------------------------------------------------------


def with_field(zh: str, en: str) -> str:
    form = json.loads(FORM_TEXT)
    form["properties"]["payer"] = {"title": en, "x-title-zh": zh, "type": "string", "examples": ["王芳"]}
    form["properties"]["amount"]["examples"] = [128.5]
    return json.dumps(form, ensure_ascii=False, indent=2)


def labels(html: str) -> list[str]:
    found = re.findall(r'<label for="f-[^"]*"[^>]*>([^<]*)<|<legend[^>]*>([^<]*)<', html)
    return [a or b for a, b in found]


def preview(c: FlaskClient, text: str, lang: str = "zh", name: str = FORM) -> Any:
    answer = c.post(
        f"/studio/api/preview?lang={lang}", json={"department": "retail", "name": name, "text": text}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_the_preview_draws_a_draft_forms_fields_in_zh_and_en_and_follows_the_draft(app: Flask) -> None:
    c = client(app)
    zh = preview(c, with_field("付款人", "Payer"))["html"]
    assert labels(zh) == ["支付方式", "支付金额（元）", "支付流水号", "仅授权（稍后收款）", "付款人"]
    assert 'value="王芳"' in zh and 'value="128.50"' in zh  # the schema's examples
    assert "<script" not in zh and "hx-post" not in zh and "disabled" in zh
    en = preview(c, with_field("付款人", "Payer"), "en")["html"]
    assert labels(en) == [
        "Payment method",
        "Amount paid (CNY)",
        "Transaction reference",
        "Authorize only (capture later)",
        "Payer",
    ]

    changed = preview(c, with_field("经办人", "Handled by"))["html"]
    assert labels(changed)[-1] == "经办人"

    # the file page draws the draft's form under the editor, without scripts
    save(c, FORM, with_field("付款人", "Payer"))
    page = c.get(f"/studio/retail/files/{FORM}").get_data(as_text=True)
    drawn = page[page.index('<div class="studio-preview"') :]
    assert 'data-preview-url="/studio/api/preview" data-source="studio-text"' in drawn
    assert labels(drawn)[:5] == ["支付方式", "支付金额（元）", "支付流水号", "仅授权（稍后收款）", "付款人"]
    save(c, FORM, with_field("经办人", "Handled by"))
    page = c.get(f"/studio/retail/files/{FORM}?lang=en").get_data(as_text=True)
    assert labels(page[page.index('<div class="studio-preview"') :])[4] == "Handled by"
    layout = c.get("/studio/retail/files/forms/retail/payment.ui.json").get_data(as_text=True)
    assert 'class="studio-preview"' in layout


def test_the_preview_escapes_what_the_form_says(app: Flask) -> None:
    html = preview(client(app), with_field("<script>alert(1)</script>", "<b>x</b>"))["html"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_text_that_does_not_read_is_not_drawn(app: Flask) -> None:
    c = client(app)
    assert preview(c, FORM_TEXT[:-20]) == {"html": None, "problems": 1}
    ui = (REPO_ROOT / "forms/retail/payment.ui.json").read_text(encoding="utf-8")
    bad = ui.replace('"widget": "radio"', '"widget": "radios"')
    answer = preview(c, bad, name="forms/retail/payment.ui.json")
    assert answer["html"] is None and answer["problems"] >= 1
    save(c, FORM, FORM_TEXT[:-20])
    page = c.get(f"/studio/retail/files/{FORM}").get_data(as_text=True)
    assert "文本有 1 个错误：修正后显示预览。" in page[page.index('<div class="studio-preview"') :]


@pytest.mark.parametrize(
    ("body", "lang", "error"),
    [
        ("not json", "zh", "请求体必须是 JSON 对象"),
        ({"department": "retail", "name": FORM}, "zh", "“text” 必须是文本"),
        ({"department": "retail", "name": FORM, "text": 1}, "en", "'text' must be a string"),
        ({"department": "retail", "name": AUDIT, "text": ""}, "en", "is not a form (.json) or form layout"),
    ],
)
def test_the_preview_names_what_it_cannot_read(app: Flask, body: object, lang: str, error: str) -> None:
    c = client(app)
    url = f"/studio/api/preview?lang={lang}"
    if isinstance(body, str):
        answer = c.post(url, data=body, content_type="application/json")
    else:
        answer = c.post(url, json=body)
    assert answer.status_code == 400
    assert error in answer.get_json()["error"]


def test_the_preview_of_another_departments_form_is_not_there(app: Flask) -> None:
    asked = {"department": "retail", "name": FORM, "text": FORM_TEXT}
    assert client(app, "xu.jie").post("/studio/api/preview", json=asked).status_code == 403
    assert client(app, "li.na").post("/studio/api/preview", json=asked).status_code == 403
    other = {"department": "retail", "name": "forms/wholesale/order.json", "text": "{}"}
    assert client(app).post("/studio/api/preview", json=other).status_code == 404


def _order() -> dict[str, Any]:
    return {
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "address": {
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "世纪大道1198号3栋",
        },
        "lines": [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 3000, "amount": 6000}],
        "shipping_fee": 0,
        "discount": 0,
    }


def test_numbers_are_shown_without_the_artefacts_of_binary_arithmetic(app: Flask) -> None:
    """0.8 × 239 is 191.2 on the page, not 191.20000000000002 (the audit's price-below-cost rule)."""
    pasted = PASTED_ORDER.replace("6000", "239").replace("3000", "119.5")
    html = client(app).post(CONSOLE, data={"action": "data", "data": pasted}).get_data(as_text=True)
    trace = element(html, "console-trace")
    assert "0.8 * (order.total + order.discount - order.shipping_fee) = 191.2 " in trace
    assert "191.20000000000002" not in html


def test_an_error_of_evaluation_is_said_in_the_pages_language(app: Flask) -> None:
    c = client(app)
    lots = PASTED_ORDER.replace("total: 6000", "total: lots", 1)
    html = c.post(CONSOLE, data={"action": "data", "data": lots}).get_data(as_text=True)
    trace = element(html, "console-trace")
    assert "large-amount" in trace and "无法求值 'order.total > 5000'" in trace
    assert "cannot" not in trace  # the explanation row in Chinese, not English in a Chinese frame
    english = c.post(f"{CONSOLE}?lang=en", data={"action": "data", "data": lots}).get_data(as_text=True)
    assert "cannot evaluate 'order.total > 5000'" in element(english, "console-trace")

    # a case the draft cannot evaluate: its row says why, in the page's language too
    save(
        c,
        AUDIT,
        AUDIT_TEXT.replace("when: order.total > 5000", "when: order.total / order.discount > 5000", 1),
    )

    def case_rows(html: str) -> str:
        found = re.search(r'id="console-case-results">(.*?)</section>', html, re.S)
        assert found is not None
        return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", found.group(1))))

    rows = case_rows(c.get(f"{CONSOLE}?lang=zh").get_data(as_text=True))
    assert "large-amount (无法求值 'order.total / order.discount > 5000'" in rows
    assert "cannot" not in rows
    rows = case_rows(c.get(f"{CONSOLE}?lang=en").get_data(as_text=True))
    assert "large-amount (cannot evaluate 'order.total / order.discount > 5000'" in rows


def test_outcomes_are_named_in_the_pages_language_with_the_code_beside(app: Flask) -> None:
    zh = client(app).post(CONSOLE, data={"action": "data", "data": PASTED_ORDER}).get_data(as_text=True)
    decision = element(zh, "console-decision")
    assert decision.startswith("结果 挂起待审 hold")
    assert "挂起待审 hold" in element(zh, "console-trace")
    en = client(app)
    en.set_cookie("lang", "en")
    english = en.post(CONSOLE, data={"action": "data", "data": PASTED_ORDER}).get_data(as_text=True)
    assert "on hold hold" in element(english, "console-decision")


ROUTING = "/studio/retail/rules/rules/retail/routing.yaml"
SPLIT = """order:
  channel: web
  customer: {name: 林晓, mobile: '13612345678'}
  address: {province: 广东省, city: 广州市, district: 天河区, detail: 体育西路191号}
  lines: [{sku: PH-CASE-01, name: 手机壳, qty: 5, unit_price: 10, amount: 50}]
  shipping_fee: 0
  discount: 0
  total: 50
stock: {PH-CASE-01: {SH-01: 3, BJ-01: 0, GZ-01: 2, CD-01: 0}}
"""


def test_the_routing_answer_is_a_table_of_warehouses_carriers_and_scores_and_the_split(app: Flask) -> None:
    page = client(app).post(ROUTING, data={"action": "data", "data": SPLIT})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert outcome(html) == "split"
    assert "拆单发货" in element(html, "console-decision")
    table = element(html, "console-decision-routing")
    # warehouses and carriers by their labels, codes beside, each with its score
    assert re.search(r"仓库 广州仓 GZ-01 已选 \d\.\d\d", table)
    assert re.search(r"仓库 上海仓 SH-01 已选 \d\.\d\d", table)
    assert re.search(r"承运商 \S+ \w+ 已选 \d\.\d\d", table)
    assert "scores" not in element(html, "console-decision")  # no raw data left
    split = element(html, "console-decision-split")
    assert "广州仓 GZ-01 PH-CASE-01 × 2" in split and "上海仓 SH-01 PH-CASE-01 × 3" in split


def test_a_form_without_examples_is_previewed_with_sample_data_said_to_be_so(app: Flask) -> None:
    c = client(app)
    zh = preview(c, FORM_TEXT)["html"]  # the shipped payment form: no examples, no defaults
    assert 'id="studio-preview-sample"' in zh and "样例数据" in zh and "4 个字段" in zh
    assert 'value="100.00"' in zh and 'value="示例文字示例文字"' in zh  # the money, minLength 6 reached
    assert re.search(r'value="card"[^>]*checked', zh)  # the first of its enum
    en = preview(c, FORM_TEXT, "en")["html"]
    assert "Sample data: the 4 field(s)" in en and 'value="Sample text"' in en
    examples = preview(c, with_field("付款人", "Payer"))["html"]  # examples given: shown as they are
    assert 'value="王芳"' in examples and 'value="128.50"' in examples
    page = c.get(f"/studio/retail/files/{FORM}?lang=en").get_data(as_text=True)  # without scripts
    assert 'id="studio-preview-sample"' in page[page.index('<div class="studio-preview"') :]
