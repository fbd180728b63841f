"""Every script and style the pages use is served by the app: vendored files, never a CDN."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import log_in, make_app
from wiring.settings import Settings

WEB = Path(__file__).resolve().parents[2] / "web"
VENDOR = WEB / "static" / "vendor"
TEMPLATES = WEB / "templates"
DEFS = Path(__file__).resolve().parent / "defs"
FRONTEND = WEB / "frontend"

# A script or style sheet loaded from elsewhere: <script src=…>, <link href=…>, or CSS @import / url().
EXTERNAL_ASSET = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def _vendored() -> list[tuple[str, str]]:
    """(path under web/static/vendor, sha256) for each row of the table in web/static/vendor/README.md."""
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", (VENDOR / "README.md").read_text(), re.M)
    assert rows, "web/static/vendor/README.md lists no vendored file"
    return rows


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=DEFS,
        secret_key="test",
    )
    return log_in(make_app(settings).test_client())


def test_the_app_serves_the_vendored_htmx(client: FlaskClient) -> None:
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert response.mimetype in {"text/javascript", "application/javascript"}
    assert response.data == (VENDOR / "htmx" / "htmx.min.js").read_bytes()
    assert b'version:"2.' in response.data
    response.close()


def test_every_page_loads_htmx_from_the_app(client: FlaskClient) -> None:
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in page


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("codemirror/studio-editor.js", b"OrderLoomStudio"),
        ("mermaid/mermaid.min.js", b'globalThis["mermaid"]'),
    ],
)
def test_the_app_serves_the_studios_scripts(client: FlaskClient, name: str, marker: bytes) -> None:
    response = client.get(f"/static/vendor/{name}")
    assert response.status_code == 200
    assert response.mimetype in {"text/javascript", "application/javascript"}
    assert response.data == (VENDOR / name).read_bytes()
    assert marker in response.data
    response.close()


def _lock() -> dict[str, dict[str, object]]:
    packages: dict[str, dict[str, object]] = json.loads(
        (FRONTEND / "package-lock.json").read_text(encoding="utf-8")
    )["packages"]
    return packages


def test_the_frontends_lock_file_pins_every_package_it_names() -> None:
    """``npm ci`` installs what package-lock.json says: each package named in package.json at the exact
    version written there, and every package under them, each with the sha512 of its tarball."""
    manifest = json.loads((FRONTEND / "package.json").read_text(encoding="utf-8"))
    named = {**manifest["dependencies"], **manifest["devDependencies"]}
    assert {"@codemirror/view", "codemirror-json-schema", "mermaid", "esbuild"} <= set(named)
    packages = _lock()
    root = packages[""]
    assert (root["dependencies"], root["devDependencies"]) == (
        manifest["dependencies"],
        manifest["devDependencies"],
    ), "package-lock.json was written for another package.json: run npm install"
    for name, version in named.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (
            f"package.json: {name} {version!r} is no exact version"
        )
        assert packages[f"node_modules/{name}"]["version"] == version, name
    unpinned = [
        path
        for path, entry in packages.items()
        if path and not str(entry.get("integrity", "")).startswith("sha512-") and not entry.get("link")
    ]
    assert unpinned == []


def test_the_editors_licences_name_the_locked_packages_it_bundles() -> None:
    """LICENSES.txt lists each package bundled into studio-editor.js at its locked version, and carries
    a licence text for each; the bundle says where its licences are."""
    notice = (VENDOR / "codemirror" / "LICENSES.txt").read_text(encoding="utf-8")
    listed = re.findall(r"^(\S+) (\d+\.\d+\.\d+\S*)  (.+)$", notice, re.M)
    assert {"@codemirror/view", "@codemirror/lint", "codemirror-json-schema", "markdown-it"} <= {
        name for name, _, _ in listed
    }
    locked = {
        (path.rsplit("node_modules/", 1)[1], entry["version"]) for path, entry in _lock().items() if path
    }
    for name, version, licence in listed:
        assert (name, version) in locked, f"{name} {version} is not a locked version"
        assert f"\n{name} {version} ({licence})\n" in notice, f"no licence text for {name}"
    assert not [name for name, _, _ in listed if name.startswith(("shiki", "@shikijs/"))]
    assert b"LICENSES.txt" in (VENDOR / "codemirror" / "studio-editor.js").read_bytes()[:200]


def test_vendored_files_are_the_ones_listed_with_their_sums() -> None:
    listed = dict(_vendored())
    on_disk = {path.relative_to(VENDOR).as_posix() for path in VENDOR.rglob("*") if path.is_file()} - {
        "README.md"
    }
    assert on_disk == set(listed), "web/static/vendor/README.md must list every vendored file"
    for name, sha256 in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == sha256, name


def test_no_template_or_style_sheet_loads_a_script_or_style_from_another_host() -> None:
    files = [*TEMPLATES.rglob("*.html"), *WEB.joinpath("static").glob("*.css")]
    assert files
    offenders = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for found in EXTERNAL_ASSET.finditer(text):  # the whole file: a tag may span lines
            line = text.count("\n", 0, found.start()) + 1
            offenders.append(f"{path.relative_to(WEB.parent)}:{line}: {found.group(0)!r}")
    assert offenders == [], "serve scripts and styles from web/static, vendored:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "line",
    [
        '<script src="https://unpkg.com/htmx.org@2"></script>',
        "<script defer src='//cdn.example.com/x.js'></script>",
        '<link rel="stylesheet" href="http://fonts.example.com/a.css">',
        "@import url('https://fonts.example.com/css2');",
        "  src: url(https://fonts.example.com/a.woff2);",
        '<script\n    type="module"\n    src="https://cdn.example.com/x.js"></script>',
    ],
)
def test_the_external_asset_check_catches(line: str) -> None:
    assert EXTERNAL_ASSET.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "<script src=\"{{ url_for('static', filename='vendor/htmx/htmx.min.js') }}\" defer></script>",
        '<a href="https://example.com/help">help</a>',
        '<link rel="stylesheet" href="/static/app.css">',
    ],
)
def test_the_external_asset_check_lets_pass(line: str) -> None:
    assert not EXTERNAL_ASSET.search(line)
