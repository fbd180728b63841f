"""Static files sent precompressed (web/static_files.py): a browser accepting Brotli gets a large vendored
script's ``.br``, one accepting gzip its ``.gz``, any other the file itself; every form is the file's
exact bytes with its own type, varies on Accept-Encoding and answers a conditional request with 304; a
path out of the folder is a 404 as before."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient

from tests.web.conftest import make_app
from wiring.settings import Settings

VENDOR = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor"
DEFS = Path(__file__).resolve().parent / "defs"
SCRIPTS = ["mermaid/mermaid.min.js", "codemirror/studio-editor.js", "htmx/htmx.min.js"]
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=DEFS,
        secret_key="test",
    )
    return make_app(settings).test_client()


@pytest.mark.parametrize("name", SCRIPTS)
@pytest.mark.parametrize(
    ("accepted", "encoding"),
    [
        ("gzip, deflate, br, zstd", "br"),  # Chromium over HTTPS
        ("gzip, deflate", "gzip"),  # Chromium over plain HTTP
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("identity", None),
        (None, None),
    ],
)
def test_a_script_is_sent_in_the_best_encoding_the_browser_accepts(
    client: FlaskClient, name: str, accepted: str | None, encoding: str | None
) -> None:
    original = (VENDOR / name).read_bytes()
    answer = client.get(f"/static/vendor/{name}", headers={"Accept-Encoding": accepted} if accepted else {})
    assert answer.status_code == 200
    assert answer.headers.get("Content-Encoding") == encoding
    assert answer.mimetype == "text/javascript" and "Accept-Encoding" in answer.vary
    body = answer.data
    assert int(answer.headers["Content-Length"]) == len(body)
    assert (DECODE[encoding](body) if encoding else body) == original
    if encoding is not None:
        assert len(body) < len(original) / 3  # much lighter over the wire
    answer.close()


def test_mermaid_is_a_quarter_of_its_size_over_the_wire(client: FlaskClient) -> None:
    plain = len((VENDOR / "mermaid" / "mermaid.min.js").read_bytes())
    answer = client.get("/static/vendor/mermaid/mermaid.min.js", headers={"Accept-Encoding": "gzip, br"})
    assert answer.headers["Content-Encoding"] == "br" and len(answer.data) < plain / 4
    answer.close()


@pytest.mark.parametrize("accepted", ["br", "gzip", "identity"])
def test_a_conditional_request_for_each_form_is_answered_304(client: FlaskClient, accepted: str) -> None:
    path = "/static/vendor/mermaid/mermaid.min.js"
    first = client.get(path, headers={"Accept-Encoding": accepted})
    etag = first.headers["ETag"]
    first.close()
    again = client.get(path, headers={"Accept-Encoding": accepted, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_a_file_without_compressed_copies_is_sent_as_it_is(client: FlaskClient) -> None:
    answer = client.get("/static/app.css", headers={"Accept-Encoding": "gzip, br"})
    assert answer.status_code == 200 and "Content-Encoding" not in answer.headers
    assert answer.data == (VENDOR.parent / "app.css").read_bytes()
    answer.close()


@pytest.mark.parametrize(
    "path",
    ["../app.py", "vendor/../../app.py", "vendor/mermaid/nothing.js", "vendor/mermaid/mermaid.min.js.gz/x"],
)
def test_a_path_outside_the_folder_or_of_no_file_is_not_found(client: FlaskClient, path: str) -> None:
    assert client.get(f"/static/{path}", headers={"Accept-Encoding": "gzip, br"}).status_code == 404
