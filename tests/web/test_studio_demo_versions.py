"""The studio's versions page over the demo (web/studio.py, ``studio/versions.html``): its title names the
workflow and the version in force in words, and each version the demo published names who published it
(the administrator); a version stored without a publisher says so in words, never a blank cell."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from engine.api.definitions import load_bundle
from tests.web.conftest import REPO_ROOT, demo_app, log_in

VERSIONS = "/studio/retail/workflows/retail-order"


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Iterator[Flask]:
    app = demo_app(tmp_path, demo_users_database, "demo-versions-tests")
    yield app
    app.extensions["orderloom"].close()


def publishers(page: str) -> dict[str, str]:
    """Each version's row -> the text of its publisher's cell."""
    rows = re.findall(r'<tr id="version-(\d+)">(.*?)</tr>', page, re.S)
    found = {}
    for number, row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found[number] = re.sub(r"<[^>]+>", "", cells[2]).strip()
    return found


@pytest.mark.parametrize(
    ("lang", "title", "first", "second"),
    [
        ("zh", "零售订单的版本（现行第 2 版）", "admin", "未记录"),
        ("en", "Versions of Retail order (version 2 is current)", "admin", "not recorded"),
    ],
)
def test_the_versions_page_names_the_workflow_its_version_and_each_publisher(
    app: Flask, tmp_path: Path, lang: str, title: str, first: str, second: str
) -> None:
    services = app.extensions["orderloom"]
    admin = log_in(app.test_client(), "ma.li", "ma.li-demo")
    page = admin.get(f"{VERSIONS}?lang={lang}").get_data(as_text=True)
    assert publishers(page) == {"1": first}  # the demo's version, published by the administrator
    assert "（现行第 1 版）" in page or "(version 1 is current)" in page
    # a version stored by a program that named no publisher (as the demo did before)
    root = tmp_path / "defs"
    for folder in ("workflows", "forms", "rules"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    path = root / "workflows/retail/order.yaml"
    changed = path.read_text(encoding="utf-8").replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    path.write_text(changed, encoding="utf-8")
    services.engine.publish(load_bundle(path, root, action_names=services.registry.action_names))
    page = admin.get(f"{VERSIONS}?lang={lang}").get_data(as_text=True)
    assert publishers(page) == {"2": second, "1": first}
    assert f"<title>{title} · OrderLoom</title>" in page
    heading = re.search(r'<h1 id="studio-versions-heading">(.*?)</h1>', page, re.S)
    assert heading is not None and heading.group(1).startswith(f"{title} <small")
    assert "retail-order</code>" in heading.group(1)  # the name beside, small
