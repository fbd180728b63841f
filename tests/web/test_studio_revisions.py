"""Each revision of a draft read on its own page (web/studio_revisions.py), a refused conflicting save
included, and the draft history numbering its rows so that no two read alike; the department's admins
only."""

from __future__ import annotations

import re
from html import unescape

from flask import Flask

from tests.web.test_studio import (
    EDIT,
    ORIGINAL,
    WORKFLOW,
    app,  # noqa: F401 - the fixture of the studio's tests
    client,
    save,
)


def history_links(html: str) -> list[tuple[str, str]]:
    """(address, label) of each row of the draft history, newest first."""
    table = html.split('id="studio-history"')[1].split("</table>")[0]
    return [
        (unescape(a), unescape(b))
        for a, b in re.findall(r'<td class="num"><a href="([^"]+)"[^>]*>([^<]+)</a>', table)
    ]


def test_every_revision_a_conflict_included_can_be_read_and_told_apart(app: Flask) -> None:  # noqa: F811
    first, second = client(app, "ma.li"), client(app, "he.tao")
    save(first, ORIGINAL + "# mine\n", 0)
    save(second, ORIGINAL + "# theirs\n", 0)  # refused: met revision 1
    save(second, ORIGINAL + "# theirs again\n", 0)  # refused again, at the same revision
    save(second, ORIGINAL + "# merged\n", 1)
    links = history_links(first.get(EDIT).get_data(as_text=True))
    assert [label for _, label in links] == ["2", "1（冲突 2）", "1（冲突 1）", "1"]
    assert len({address for address, _ in links}) == 4
    texts = {}
    for address, label in links:
        page = first.get(address)
        assert page.status_code == 200, address
        html = page.get_data(as_text=True)
        shown = re.search(r'<pre class="source lines" id="studio-revision-text">(.*?)</pre>', html, re.S)
        assert shown is not None
        texts[label] = unescape(re.sub(r"<[^>]+>", "", shown.group(1)))
        assert ("studio-revision-conflict" in html) == ("冲突" in label)
    assert texts["1（冲突 1）"] == ORIGINAL + "# theirs\n"
    assert texts["1（冲突 2）"] == ORIGINAL + "# theirs again\n"
    assert texts["1"] == ORIGINAL + "# mine\n" and texts["2"] == ORIGINAL + "# merged\n"
    first.set_cookie("lang", "en")
    english = first.get(EDIT).get_data(as_text=True)
    assert [label for _, label in history_links(english)][1] == "1 (conflict 2)"
    conflict = first.get(links[1][0]).get_data(as_text=True)
    assert "This save was refused: it met revision 1" in conflict


def test_a_revision_is_the_departments_admins_only_and_of_its_own_file(app: Flask) -> None:  # noqa: F811
    ma = client(app, "ma.li")
    save(ma, ORIGINAL + "# mine\n", 0)
    ((address, _),) = history_links(ma.get(EDIT).get_data(as_text=True))
    assert client(app, "xu.jie").get(address).status_code == 403
    assert client(app, "li.na").get(address).status_code == 403
    number = address.split("/revisions/")[1].split("/")[0]
    assert ma.get(address.replace(WORKFLOW, "forms/retail/order.json")).status_code == 404
    assert ma.get(f"/studio/retail/revisions/{int(number) + 1}/{WORKFLOW}").status_code == 404
    assert ma.get(f"/studio/retail/revisions/{number}/workflows/retail/none.yaml").status_code == 404
