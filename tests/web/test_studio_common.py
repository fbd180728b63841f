"""What the studio's blueprints share (web/studio_common.py): the department a user administers (a 403
naming the department for anyone else, a 404 for a department there is not, on every blueprint's pages
alike) and a posted text as stored; and no module of the web app reaching into another's private names to
get them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask

from tests.web.test_studio import ORIGINAL, app, client, save  # noqa: F401 - the studio tests' fixture and steps
from tests.web.test_studio_revisions import history_links
from web.studio_common import normalised

WEB = Path(__file__).resolve().parents[2] / "web"


def private_imports(root: Path) -> list[str]:
    """``file:line: name from module`` for each private name (``_x``) a module imports from another
    module of the web app."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "web":
                found.extend(
                    f"{path.name}:{node.lineno}: {alias.name} from {node.module}"
                    for alias in node.names
                    if alias.name.startswith("_")
                )
    return found


def test_no_module_of_the_web_app_imports_another_ones_private_names() -> None:
    assert private_imports(WEB) == []


def test_the_check_catches_a_private_import(tmp_path: Path) -> None:
    (tmp_path / "page.py").write_text(
        "from web.studio_common import administered\nfrom web.studio import _department\n", encoding="utf-8"
    )
    assert private_imports(tmp_path) == ["page.py:2: _department from web.studio"]


def test_a_posted_text_is_stored_with_newlines_only() -> None:
    assert normalised("a\r\nb\rc\n") == "a\nb\nc\n"


def test_every_studio_blueprint_is_the_departments_admins_only(app: Flask) -> None:  # noqa: F811
    admin, other, clerk = client(app, "ma.li"), client(app, "xu.jie"), client(app, "li.na")
    save(admin, ORIGINAL + "# a draft\n", 0)
    ((revision, _),) = history_links(
        admin.get("/studio/retail/files/workflows/retail/order.yaml").get_data(as_text=True)
    )
    pages = (
        revision,
        "/studio/retail/",
        "/studio/retail/files/workflows/retail/order.yaml",
        "/studio/retail/rules/rules/retail/audit.yaml",
        "/studio/retail/replay/rules/retail/audit.yaml",
        "/studio/retail/workflows/retail-order/migrate?to=1",
        "/studio/retail/users",
    )
    for page in pages:
        assert admin.get(page).status_code == 200, page
        assert other.get(page).status_code == 403, page
        assert clerk.get(page).status_code == 403, page


@pytest.mark.parametrize(
    ("lang", "said", "back"),
    [
        ("zh", "此页属于零售部，你没有其权限。", "返回工作室"),
        ("en", "This page belongs to the Retail department; you have no access to it.", "Back to the studio"),
    ],
)
def test_another_departments_studio_says_whose_it_is_and_no_department_is_not_found(
    app: Flask,  # noqa: F811
    lang: str,
    said: str,
    back: str,
) -> None:
    other, clerk = client(app, "xu.jie"), client(app, "li.na")
    for page in ("/studio/retail/", "/studio/retail/users", "/studio/retail/workflows/retail-order"):
        refused = other.get(f"{page}?lang={lang}")
        assert refused.status_code == 403, page
        shown = refused.get_data(as_text=True)
        assert said in shown and f'<a href="/studio/" id="problem-back">{back}</a>' in shown
        assert said in clerk.get(f"{page}?lang={lang}").get_data(as_text=True)
    assert 'id="problem-back"' not in clerk.get(f"/studio/retail/?lang={lang}").get_data(as_text=True)
    for page in ("/studio/nowhere/", "/studio/nowhere/users", "/studio/nowhere/workflows/retail-order"):
        missing = other.get(f"{page}?lang={lang}")
        assert missing.status_code == 404 and said not in missing.get_data(as_text=True), page
