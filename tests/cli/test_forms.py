"""``orderloom forms preview``: a form written as one HTML page that opens on its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from cli.main import main
from tests.web.test_forms_render import Page

REPO = Path(__file__).resolve().parents[2]
DEFS = Path(__file__).resolve().parents[1] / "web" / "defs"  # the test definitions the web tests use too
RETAIL = REPO / "forms" / "retail" / "intake-web.json"
SHOWROOM = DEFS / "forms" / "showroom" / "service-order.json"


def preview(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["forms", "preview", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_a_preview_is_one_file_with_its_css_inlined(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    result = preview(str(RETAIL), "-o", str(out))
    assert result.output.strip() == f"已写入 {out}（网站零售下单）"
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    assert page.one("html")["lang"] == "zh-CN"
    assert not page.all("link") and not page.all("script")  # nothing to fetch, nothing to run
    assert "--accent" in html and ".error-summary" in html  # app.css and forms.css, inlined
    assert "收货人手机号" in page.words and "开票信息" not in page.words  # invoice group hidden
    assert page.one("select", id="f-address-province")  # regions: a static source
    assert page.by_id("f-lines-0-sku")["type"] == "text"  # products read the database: a text box
    assert "disabled" in page.one("button", type="submit", **{"class": "primary"})


def test_a_preview_filled_with_data_in_english_shows_its_errors(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(
        json.dumps(
            {
                "customer": {"name": "<script>alert(1)</script>", "mobile": "12"},
                "lines": [{"sku": "TEA-01", "name": "Tea", "qty": 3, "unit_price": 10.5}],
                "shipping_fee": 8,
                "discount": 0,
                "needs_invoice": True,
                "invoice": {"type": "company", "title": "ACME"},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "page.html"
    result = preview(str(RETAIL), "-o", str(out), "--lang", "en", "--data", str(data))
    assert "the data has" in result.output and "error(s)" in result.output
    page = Page(out.read_text(encoding="utf-8"))
    assert page.one("html")["lang"] == "en"
    assert page.by_id("f-customer-name")["value"] == "<script>alert(1)</script>"
    assert not page.all("script")
    assert page.by_id("f-lines-0-amount")["value"] == "31.50"
    assert page.by_id("f-total")["value"] == "39.50"
    assert page.by_id("f-customer-mobile")["aria-invalid"] == "true"
    assert "Invoice details" in page.words  # shown: an invoice is wanted
    assert page.by_id("f-invoice-tax_id")["aria-invalid"] == "true"  # a company invoice needs one
    assert "Invoice's tax ID: enter a value" in page.words


def test_a_form_without_ui_file_gets_the_default_layout(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    preview(str(DEFS / "forms" / "payment.json"), "-o", str(out), "--lang", "en")
    page = Page(out.read_text(encoding="utf-8"))
    amount = page.by_id("f-amount")
    assert amount["inputmode"] == "decimal" and "required" in amount
    assert page.one("label", **{"for": "f-amount"})


def test_a_ui_file_or_a_broken_form_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    result = preview(str(SHOWROOM.with_name("service-order.ui.json")), "-o", str(out), code=2)
    assert "give the form's data file" in result.output
    broken = tmp_path / "forms" / "showroom"
    broken.mkdir(parents=True)
    shutil.copy(SHOWROOM, broken / "service-order.json")
    ui = json.loads(SHOWROOM.with_name("service-order.ui.json").read_text(encoding="utf-8"))
    ui["fields"]["customer.mobil"] = {"widget": "text"}
    (broken / "service-order.ui.json").write_text(json.dumps(ui), encoding="utf-8")
    result = preview(str(broken / "service-order.json"), "-o", str(out), code=1)
    assert "did you mean 'customer.mobile'?" in result.output
    assert result.output.startswith(f"{broken / 'service-order.ui.json'}:")
    assert "无法显示；未写入任何文件" in result.output and not out.exists()
    (broken / "service-order.json").write_text("{not json", encoding="utf-8")
    result = preview(str(broken / "service-order.json"), "-o", str(out), code=1)
    assert f"{broken / 'service-order.json'}:1:2: error: JSON syntax error" in result.output
    assert "无法显示；未写入任何文件" in result.output and not out.exists()


def write_form(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "forms" / "retail"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "payment.json"
    path.write_text(text, encoding="utf-8")
    return path


PAYMENT = (
    '{\n  "type": "object",\n  "properties": {\n    "amount": {"type": "number", "maximum": %s}\n  }\n}\n'
)


def test_a_form_file_with_a_number_of_over_4300_digits_is_refused_at_its_place(tmp_path: Path) -> None:
    path = write_form(tmp_path, PAYMENT % ("9" * 5000))
    out = tmp_path / "page.html"
    result = preview(str(path), "-o", str(out), "--lang", "en", code=1)
    assert result.output.startswith(
        f"{path}:4:45: error: the number 99999999999999999999... (5000 characters)"
    )
    assert "nothing was written" in result.output and not out.exists()
    assert "Traceback" not in result.output and len(result.output) < 500
    validated = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
    assert validated.exit_code == 1
    assert (
        ":4:45: error: the number 99999999999999999999... (5000 characters) is out of range"
        in validated.output
    )


def test_a_form_file_with_maximum_1e999_is_refused_at_its_place(tmp_path: Path) -> None:
    path = write_form(tmp_path, PAYMENT % "1e999")
    result = preview(str(path), "-o", str(tmp_path / "page.html"), code=1)
    assert f"{path}:4:45: error: the number 1e999 is out of range" in result.output
    validated = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
    assert validated.exit_code == 1
    assert ":4:45: error: the number 1e999 is out of range: numbers stay within ±1.8e308" in validated.output


def test_a_form_file_whose_root_is_true_is_refused(tmp_path: Path) -> None:
    path = write_form(tmp_path, "true\n")
    out = tmp_path / "page.html"
    result = preview(str(path), "-o", str(out), code=1)
    assert f"{path}:1:1: error: a form must be a JSON object (a JSON Schema)" in result.output
    assert "无法显示；未写入任何文件" in result.output and not out.exists()


def test_preview_data_holding_a_lone_surrogate_names_the_field(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text('{"customer": {"name": "\\ud800x"}}', encoding="utf-8")
    out = tmp_path / "page.html"
    result = preview(str(RETAIL), "-o", str(out), "--data", str(data), "--lang", "en", code=2)
    assert "Invalid value for --data: $.customer.name: the text holds \\ud800" in result.output
    assert not out.exists()
