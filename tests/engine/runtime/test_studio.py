"""The studio's engine side (engine/runtime/studio.py, engine/store/studio.py) on SQLite and PostgreSQL,
over the shipped definitions: a publish of a form publishes every workflow holding it with the texts it
was read from; a draft that breaks a workflow holding the file stops the whole publish; drafts conflict
instead of overwriting; the published texts are what later drafts and checks read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import discover, load_bundle
from engine.dsl.texts import DefinitionKind, bundle_sources
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.runtime.studio import PublishRefused, RollbackSubmitted, Studio, TextTooLarge
from engine.store import Store
from engine.store.studio import DraftStatus, SaveConflict
from engine.store.versions import VersionMeta

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()
MA = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))
HE = Actor("he.tao", frozenset({"admin"}), frozenset({"retail"}))
ROOT_ADMIN = Actor("admin", frozenset({"admin"}), frozenset({"*"}))
FORM = "forms/retail/order.json"
WORKFLOW = "workflows/retail/order.yaml"


@pytest.fixture
def studio(store: Store) -> Studio:
    engine = Engine(store, REGISTRY, FrozenClock())
    studio = Studio(engine, ROOT)
    for path in sorted(p for p in discover(ROOT).values() if p.parent.name == "retail"):
        bundle = load_bundle(
            path, ROOT, action_names=REGISTRY.action_names, action_writes=REGISTRY.action_writes
        )
        engine.publish(bundle, meta=VersionMeta(sources=bundle_sources(bundle, ROOT)))
    return studio


def test_who_administers_a_department(studio: Studio) -> None:
    assert studio.administers(MA, "retail")
    assert not studio.administers(MA, "wholesale")
    assert not studio.administers(Actor("li.na", frozenset({"clerk"}), frozenset({"retail"})), "retail")
    assert not studio.administers(Actor("root", frozenset({"admin"}), frozenset({"*"})), "no-such-department")
    assert studio.departments_of(Actor("root", frozenset({"admin"}), frozenset({"*"}))) == [
        "after_sales",
        "retail",
        "wholesale",
    ]


def test_publishing_a_base_workflow_publishes_the_workflows_extending_it(studio: Studio) -> None:
    assert studio.workflows_holding("retail", WORKFLOW) == ["retail-flash-sale", "retail-order"]
    text = studio.published_text(WORKFLOW).replace("label: {zh: 已分仓,", "label: {zh: 已分好仓,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    published = studio.publish("retail", WORKFLOW, 1, "", MA)
    assert sorted((v.workflow, v.version) for v in published.versions) == [
        ("retail-flash-sale", 2),
        ("retail-order", 2),
    ]


def test_publishing_a_form_publishes_every_workflow_holding_it(studio: Studio, store: Store) -> None:
    holding = studio.workflows_holding("retail", FORM)
    assert "retail-order" in holding and all(not name.startswith("wholesale") for name in holding)
    form = studio.published_text(FORM).replace('"title": {', '"title": {', 1)
    changed = form.replace('"description"', '"x-note": "studio", "description"', 1)
    assert changed != form
    draft = studio.save("retail", FORM, changed, 0, MA)
    assert not isinstance(draft, SaveConflict) and draft.revision == 1
    published = studio.publish("retail", FORM, 1, "a note on the form", MA)
    assert sorted(v.workflow for v in published.versions) == sorted(holding)
    assert all(v.version == 2 and v.created for v in published.versions)
    with store.read() as tx:
        row = tx.version("retail-order", 2)
        sources = tx.version_sources("retail-order", 2)
    assert row is not None and row.note == "a note on the form" and row.drafted_by == "ma.li"
    assert sources is not None and sources[FORM] == changed and WORKFLOW in sources
    assert studio.published_text(FORM) == changed  # what later drafts start from
    view = studio.file("retail", FORM)
    assert view is not None and view.draft is not None and view.draft.status is DraftStatus.PUBLISHED
    actions = [e.action for e in studio.events("retail")]
    assert actions == ["publish", "save"]


def test_a_publish_reads_the_other_files_as_published_and_stops_on_a_broken_holder(
    studio: Studio, store: Store
) -> None:
    broken = studio.published_text(WORKFLOW).replace("dest: paid", "dest: piad", 1)
    studio.save("retail", WORKFLOW, broken, 0, MA)  # saved with its error
    form = studio.published_text(FORM)
    studio.save("retail", FORM, form.replace('"description"', '"x-note": "n", "description"', 1), 0, MA)
    # The broken draft of the workflow holding the form would be published with it: it stops the
    # publish, named; once it is put right, both are published together.
    assert [d.path for d in studio.companions("retail", FORM, studio.file("retail", FORM).text)] == [WORKFLOW]
    with pytest.raises(PublishRefused, match=f"your draft of {WORKFLOW}"):
        studio.publish("retail", FORM, 1, "", MA)
    with pytest.raises(PublishRefused, match="1 error"):
        studio.publish("retail", WORKFLOW, 1, "", MA)
    studio.save("retail", WORKFLOW, studio.published_text(WORKFLOW), 1, MA)
    published = studio.publish("retail", FORM, 1, "", MA)
    assert "retail-order" in [v.workflow for v in published.versions] and published.together == [WORKFLOW]
    with store.read() as tx:
        sources = tx.version_sources("retail-order", 2)
    assert sources is not None and "dest: piad" not in sources[WORKFLOW]

    # A form draft that is a good form but breaks a workflow holding it (the payment form asking for
    # the warehouse, which routing records): the workflow's problem, and nothing is published.
    payment = "forms/retail/payment.json"
    form = json.loads(studio.published_text(payment))
    form["properties"]["warehouse"] = {"type": "string"}
    saved = studio.save("retail", payment, json.dumps(form, ensure_ascii=False, indent=2), 0, MA)
    assert not isinstance(saved, SaveConflict)
    # Its check as it is typed says so already, naming the workflow's file.
    assert [(p.problem.code, p.file) for p in studio.check("retail", payment, saved.text)] == [
        ("owned-field", WORKFLOW)
    ]
    with pytest.raises(PublishRefused) as refused:
        studio.publish("retail", payment, 1, "", MA)
    assert [p.code for p in refused.value.problems] == ["owned-field"]
    assert refused.value.must_change == [WORKFLOW]
    assert [v.version for v in studio.engine.versions("retail-order")] == [1, 2]
    assert "warehouse" not in json.loads(studio.published_text(payment))["properties"]


def test_a_save_from_an_old_revision_is_a_conflict_and_keeps_the_text(studio: Studio) -> None:
    text = studio.published_text(WORKFLOW)
    studio.save("retail", WORKFLOW, text + "\n# one\n", 0, MA)
    conflict = studio.save("retail", WORKFLOW, text + "\n# two\n", 0, HE)
    assert isinstance(conflict, SaveConflict)
    assert conflict.current.revision == 1 and conflict.current.updated_by == "ma.li"
    assert conflict.refused_text.endswith("# two\n")
    view = studio.file("retail", WORKFLOW)
    assert view is not None and view.text.endswith("# one\n")
    assert [(r.author, r.outcome) for r in view.history] == [("he.tao", "conflict"), ("ma.li", "saved")]
    with pytest.raises(PublishRefused, match="saved again"):
        studio.publish("retail", WORKFLOW, 0, "", MA)  # a publish of a revision that is not the draft's


def test_a_text_larger_than_a_definition_file_is_refused_and_nothing_written(studio: Studio) -> None:
    text = studio.published_text(WORKFLOW)
    studio.save("retail", WORKFLOW, text + "\n# one\n", 0, MA)
    over = text + "# " + "x" * (1_000_000 - len(text.encode("utf-8")) - 4) + "长"  # 1,000,001 bytes
    assert len(over.encode("utf-8")) == 1_000_001
    with pytest.raises(TextTooLarge) as refused:
        studio.save("retail", WORKFLOW, over, 1, MA)
    assert (refused.value.size, refused.value.limit) == (1_000_001, 1_000_000)
    assert refused.value.message("en").startswith(
        "the text is 1,000,001 bytes (1 MB); a definition file may be at most 1,000,000 bytes (1 MB): "
        "nothing was saved"
    )
    assert refused.value.message("zh").startswith(
        "文本为 1,000,001 字节（1 MB），而定义文件最多 1,000,000 字节"
    )
    view = studio.file("retail", WORKFLOW)
    assert view is not None and view.revision == 1 and len(view.history) == 1
    assert [e.action for e in studio.events("retail")] == ["save"]
    at_limit = over[:-1] + "xx"  # 1,000,000 bytes: as large as a file may be
    saved = studio.save("retail", WORKFLOW, at_limit, 1, MA)
    assert not isinstance(saved, SaveConflict) and saved.revision == 2


def test_four_eyes_and_rollback(studio: Studio, store: Store) -> None:
    studio.set_four_eyes("retail", True, MA)
    text = studio.published_text(WORKFLOW).replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    with pytest.raises(PublishRefused, match="approval"):
        studio.publish("retail", WORKFLOW, 1, "", MA)
    studio.submit("retail", WORKFLOW, 1, "please", MA)
    with pytest.raises(PublishRefused, match="another admin"):
        studio.publish("retail", WORKFLOW, 1, "", MA)
    published = studio.publish("retail", WORKFLOW, 1, "", HE)
    assert {v.workflow: v.version for v in published.versions}["retail-order"] == 2
    with store.read() as tx:
        row = tx.version("retail-order", 2)
    assert row is not None and (row.drafted_by, row.approved_by, row.note) == ("ma.li", "he.tao", "please")

    # With four eyes on, turning four eyes off is not one admin's to do alone.
    with pytest.raises(PublishRefused, match="every department"):
        studio.set_four_eyes("retail", False, MA)
    studio.set_four_eyes("retail", False, ROOT_ADMIN)
    view = studio.file("retail", WORKFLOW)
    assert view is not None and "等待付款" in view.text
    back = studio.rollback("retail", "retail-order", 1, "undo", MA)
    assert (back.version, back.created) == (3, True)
    assert "待支付" in studio.published_text(WORKFLOW)  # the file's text is v1's again
    view = studio.file("retail", WORKFLOW)
    assert view is not None and view.text == studio.published_text(WORKFLOW)  # not the published draft's
    assert not view.changed
    with pytest.raises(PublishRefused):
        studio.rollback("wholesale", "retail-order", 1, "", MA)  # not that department's workflow


def test_the_diagram_of_an_overlay_labels_its_base_states_as_the_base_is_published(studio: Studio) -> None:
    flash = (ROOT / "workflows" / "retail" / "flash-sale.yaml").read_text(encoding="utf-8")
    zh = studio.diagram("retail", flash, "zh") or ""
    assert "已分仓（基础流程）" in zh and "routed（基础流程）" not in zh
    assert "Routed (base)" in (studio.diagram("retail", flash, "en") or "")
    # a label the base's published text changes is the one drawn
    order = studio.published_text(WORKFLOW).replace("{zh: 已分仓, en: Routed}", "{zh: 已分好仓, en: Routed}")
    draft = studio.save("retail", WORKFLOW, order, 0, MA)
    assert not isinstance(draft, SaveConflict)
    studio.publish("retail", WORKFLOW, draft.revision, "", MA)
    assert "已分好仓（基础流程）" in (studio.diagram("retail", flash, "zh") or "")


def test_a_text_other_than_the_drafts_is_neither_submitted_nor_published(studio: Studio) -> None:
    """What is published is the saved revision: an editor's text that differs from it is refused (in zh
    and en) and nothing is done, rather than the edit being dropped unsaid."""
    studio.set_four_eyes("retail", True, MA)
    text = studio.published_text(WORKFLOW).replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    edited = text.replace("label: {zh: 等待付款,", "label: {zh: 等候付款,", 1)
    with pytest.raises(PublishRefused, match="differs from the saved revision 1") as unsaved:
        studio.submit("retail", WORKFLOW, 1, "please", MA, edited)
    assert "与已保存的第 1 稿不同" in unsaved.value.message("zh")
    studio.submit("retail", WORKFLOW, 1, "please", MA, text)
    with pytest.raises(PublishRefused, match="the one submitted for approval") as approving:
        studio.publish("retail", WORKFLOW, 1, "", HE, edited)
    assert "与提交审批的第 1 稿不同" in approving.value.message("zh")
    assert studio.engine.versions("retail-order")[-1].version == 1
    published = studio.publish("retail", WORKFLOW, 1, "", HE, text)
    assert {v.workflow: v.version for v in published.versions}["retail-order"] == 2


def test_a_new_draft_after_a_publish_has_no_note(studio: Studio) -> None:
    text = studio.published_text(WORKFLOW).replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    studio.publish("retail", WORKFLOW, 1, "the first note", MA)
    saved = studio.save("retail", WORKFLOW, text + "# more\n", 1, MA)
    assert not isinstance(saved, SaveConflict) and saved.note is None


def test_a_problem_two_workflows_meet_is_refused_once(studio: Studio) -> None:
    path = "forms/retail/delivery.json"
    form = json.loads(studio.published_text(path))
    del form["properties"]["delivered_at"]
    form["required"].remove("delivered_at")
    studio.save("retail", path, json.dumps(form, ensure_ascii=False, indent=2), 0, MA)
    with pytest.raises(PublishRefused) as refused:
        studio.publish("retail", path, 1, "", MA)
    said = [p.format() for p in refused.value.problems]
    # a shipment's deliver reads data.delivered_at in its two conditions, and the form's UI file
    # prefills it: each said once, not once per workflow (the flash sale extends the retail order)
    assert len(said) == len(set(said)) == 3
    conditions = [p for p in said if "data.delivered_at" in p]
    assert len(conditions) == 2 and all("shipment.deliver" in p for p in conditions)
    assert next(p for p in said if p not in conditions).count("delivery.ui.json") == 1


def test_the_note_for_the_publish_is_kept_with_the_draft_until_it_is_published(studio: Studio) -> None:
    """Saved with the draft (a reload, another admin, the approver find it), kept by a save that sends
    none, cleared by an empty one, kept when a publish is refused, and gone with its version."""
    text = studio.published_text(WORKFLOW).replace("label: {zh: 已分仓,", "label: {zh: 已分好仓,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA, "分仓改名 / warehouse label")
    draft = studio.file("retail", WORKFLOW).draft  # type: ignore[union-attr]
    assert draft is not None and draft.note == "分仓改名 / warehouse label"
    studio.save("retail", WORKFLOW, text + "# more\n", 1, HE)  # no note sent: the draft's stays
    assert studio.file("retail", WORKFLOW).draft.note == "分仓改名 / warehouse label"  # type: ignore[union-attr]
    assert studio.keep_note("retail", WORKFLOW, 2, "second thoughts")
    assert not studio.keep_note("retail", WORKFLOW, 1, "from an old page")  # saved since: not written
    assert studio.file("retail", WORKFLOW).draft.note == "second thoughts"  # type: ignore[union-attr]
    studio.save("retail", WORKFLOW, text, 2, MA, "")
    assert studio.file("retail", WORKFLOW).draft.note is None  # type: ignore[union-attr]
    studio.save("retail", WORKFLOW, text, 3, MA, "final words")
    studio.publish("retail", WORKFLOW, 4, "final words", MA)
    assert not studio.keep_note("retail", WORKFLOW, 4, "after the publish")
    assert studio.file("retail", WORKFLOW).draft.note == "final words"  # type: ignore[union-attr]


def test_renaming_a_state_an_overlay_uses_publishes_the_base_and_the_overlay_together(
    studio: Studio, store: Store
) -> None:
    overlay = "workflows/retail/flash-sale.yaml"
    renamed = studio.published_text(WORKFLOW).replace("on_hold", "held")
    studio.save("retail", WORKFLOW, renamed, 0, MA)
    # The overlay has no draft yet: refused, naming the file that must change.
    with pytest.raises(PublishRefused) as refused:
        studio.publish("retail", WORKFLOW, 1, "", MA)
    assert refused.value.must_change == [overlay]
    assert overlay in refused.value.message("en") and overlay in refused.value.message("zh")
    assert [v.version for v in studio.engine.versions("retail-order")] == [1]
    # With the overlay's draft, either file publishes both, in one publish with one note.
    studio.save("retail", overlay, studio.published_text(overlay).replace("on_hold", "held"), 0, MA)
    assert studio.check("retail", WORKFLOW, renamed) == []
    assert [d.path for d in studio.companions("retail", overlay, studio.file("retail", overlay).text)] == [
        WORKFLOW
    ]
    published = studio.publish("retail", overlay, 1, "rename on_hold", MA)
    assert published.together == [WORKFLOW]
    # The overlay removes the state either way: its resolved content is the same, and keeps its number.
    assert sorted((v.workflow, v.version) for v in published.versions) == [
        ("retail-flash-sale", 1),
        ("retail-order", 2),
    ]
    with store.read() as tx:
        order_sources = tx.version_sources("retail-order", 2)
        assert tx.version("retail-order", 2).note == "rename on_hold"  # type: ignore[union-attr]
    assert order_sources is not None and "held:" in order_sources[WORKFLOW]
    assert "held" in studio.published_text(overlay)
    assert all(studio.file("retail", p).draft.status is DraftStatus.PUBLISHED for p in (WORKFLOW, overlay))  # type: ignore[union-attr]
    (event,) = [e for e in studio.events("retail") if e.action == "publish" and e.subject == overlay]
    assert event.detail["together"] == {WORKFLOW: 1}
    (companion,) = [e for e in studio.events("retail") if e.action == "publish" and e.subject == WORKFLOW]
    assert companion.detail == {"revision": 1, "note": "rename on_hold", "together_with": overlay}

    # The next round of the base's draft counts its writers from that publish, not from before it.
    studio.save("retail", WORKFLOW, renamed + "# next\n", 1, MA)
    assert studio.file("retail", WORKFLOW).writers == {"ma.li": [2]}  # type: ignore[union-attr]


def test_four_eyes_applies_to_the_drafts_published_together(studio: Studio) -> None:
    overlay = "workflows/retail/flash-sale.yaml"
    studio.set_four_eyes("retail", True, MA)
    studio.save("retail", WORKFLOW, studio.published_text(WORKFLOW).replace("on_hold", "held"), 0, MA)
    studio.save("retail", overlay, studio.published_text(overlay).replace("on_hold", "held"), 0, MA)
    studio.submit("retail", WORKFLOW, 1, "rename", MA)  # submits the overlay's draft with it
    assert studio.file("retail", overlay).draft.status is DraftStatus.AWAITING_APPROVAL  # type: ignore[union-attr]
    with pytest.raises(PublishRefused, match="another admin"):
        studio.publish("retail", WORKFLOW, 1, "", MA)
    published = studio.publish("retail", WORKFLOW, 1, "", HE)
    assert published.together == [overlay] and len(published.versions) == 2


CASES = "rules/retail/audit.cases.yaml"
RULES = "rules/retail/audit.yaml"


def test_a_cases_file_is_edited_checked_against_its_rule_file_and_published_as_its_text(
    studio: Studio, store: Store
) -> None:
    """A rule file's cases are a studio file: listed, checked as ``orderloom rules test`` checks them
    (against the rule file's draft while one is written), drafted, and published as the department's
    current text of the file, with a version list; no workflow gets a version."""
    assert (CASES, DefinitionKind.CASES) in studio.files("retail")
    view = studio.file("retail", CASES)
    assert view is not None and view.kind is DefinitionKind.CASES and view.workflows == []
    assert studio.check("retail", CASES, view.text) == []
    # A rule no rule set of the file declares, and a shape error, each at its line.
    wrong = view.text.replace("rules: []}", "rules: [blacklisted-mobil]}", 1)
    found = studio.check("retail", CASES, wrong)
    assert [(p.problem.code, p.fix) for p in found] == [("unknown-rule", "blacklisted-mobile")]
    assert found[0].span.line == wrong[: wrong.index("blacklisted-mobil]")].count("\n") + 1
    assert [p.problem.code for p in studio.check("retail", CASES, "cases: 3\n")] == ["schema"]
    # The rule file's draft renames the rule: the cases are checked against the draft.
    rules = studio.published_text(RULES).replace("name: blacklisted-mobile", "name: blocked-mobile", 1)
    studio.save("retail", RULES, rules, 0, MA)
    renamed = view.text.replace("blacklisted-mobile", "blocked-mobile")
    assert studio.check("retail", CASES, renamed) == []
    old_name = {p.problem.code for p in studio.check("retail", CASES, view.text)}
    assert old_name == {"unknown-rule"}

    saved = studio.save("retail", CASES, renamed, 0, MA)
    assert not isinstance(saved, SaveConflict)
    published = studio.publish("retail", CASES, saved.revision, "the rule's new name", MA)
    assert published.versions == ()
    assert studio.published_text(CASES) == renamed
    assert studio.engine.versions("retail-order")[-1].version == 1
    versions = studio.text_versions("retail", CASES)
    assert versions is not None and [(v.number, v.published_by) for v in versions] == [(1, "ma.li")]
    assert versions[0].text == renamed
    assert studio.text_versions("retail", RULES) is None  # a rule file's versions are its workflows'
    events = studio.events("retail")
    assert (events[0].action, events[0].subject, events[0].detail["revision"]) == ("publish", CASES, 1)


def test_a_discarded_draft_gives_the_published_text_back_and_keeps_its_revisions(studio: Studio) -> None:
    text = studio.published_text(WORKFLOW).replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    with pytest.raises(PublishRefused, match="saved again"):
        studio.discard("retail", WORKFLOW, 7, HE)  # not the revision there: nothing done
    studio.discard("retail", WORKFLOW, 1, HE)
    view = studio.file("retail", WORKFLOW)
    assert view is not None and view.draft is not None and view.draft.status is DraftStatus.DISCARDED
    assert view.text == studio.published_text(WORKFLOW) and not view.changed
    assert [(r.revision, r.text) for r in view.history] == [(1, text)]  # still readable
    event = studio.events("retail")[0]
    assert (event.action, event.actor, event.subject, event.detail) == (
        "discard",
        "he.tao",
        WORKFLOW,
        {"revision": 1},
    )
    with pytest.raises(PublishRefused, match="discarded") as refused:
        studio.publish("retail", WORKFLOW, 1, "", MA)
    assert "已放弃" in refused.value.message("zh")
    with pytest.raises(PublishRefused, match="no draft to discard"):
        studio.discard("retail", WORKFLOW, 1, MA)
    # A save begins a new round from the published text, with no note.
    again = studio.save("retail", WORKFLOW, text, 1, MA)
    assert not isinstance(again, SaveConflict) and again.revision == 2 and again.status is DraftStatus.OPEN


def test_a_submitted_draft_is_discarded_only_once_its_submitter_withdraws_it(studio: Studio) -> None:
    studio.set_four_eyes("retail", True, MA)
    text = studio.published_text(WORKFLOW).replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    studio.submit("retail", WORKFLOW, 1, "please", MA)
    for who in (MA, HE):
        with pytest.raises(PublishRefused, match=r"submitted for approval by ma\.li") as refused:
            studio.discard("retail", WORKFLOW, 1, who)
        assert "提交者撤回" in refused.value.message("zh")
    with pytest.raises(PublishRefused, match=r"only ma\.li"):
        studio.withdraw("retail", WORKFLOW, 1, HE)
    studio.withdraw("retail", WORKFLOW, 1, MA)
    view = studio.file("retail", WORKFLOW)
    assert view is not None and view.draft is not None and view.draft.status is DraftStatus.OPEN
    assert view.draft.note == "please" and view.draft.requested_by is None
    studio.discard("retail", WORKFLOW, 1, MA)
    assert [e.action for e in studio.events("retail")[:2]] == ["discard", "withdraw"]


def test_a_rollback_under_four_eyes_drafts_the_earlier_text_and_submits_it(
    studio: Studio, store: Store
) -> None:
    text = studio.published_text(WORKFLOW).replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    studio.publish("retail", WORKFLOW, 1, "", MA)
    studio.set_four_eyes("retail", True, MA)
    first = store_sources(store, "retail-order", 1)

    done = studio.rollback("retail", "retail-order", 1, "undo the label", MA)
    assert isinstance(done, RollbackSubmitted)
    assert done.drafts == {WORKFLOW: 2}
    assert studio.engine.versions("retail-order")[-1].version == 2  # nothing published yet
    view = studio.file("retail", WORKFLOW)
    assert view is not None and view.draft is not None
    assert view.draft.status is DraftStatus.AWAITING_APPROVAL and view.draft.requested_by == "ma.li"
    assert view.draft.text == first[WORKFLOW] and view.draft.note == "undo the label"
    assert view.rollback == {"workflow": "retail-order", "version": 1}
    assert not view.may_approve("ma.li") and view.may_approve("he.tao")
    with pytest.raises(PublishRefused, match="you submitted this draft"):
        studio.publish("retail", WORKFLOW, 2, "", MA)
    published = studio.publish("retail", WORKFLOW, 2, "", HE)
    assert {v.workflow: v.version for v in published.versions}["retail-order"] == 3
    with store.read() as tx:
        row = tx.version("retail-order", 3)
    assert row is not None and (row.drafted_by, row.approved_by) == ("ma.li", "he.tao")
    assert studio.published_text(WORKFLOW) == first[WORKFLOW]
    rolled = [e for e in studio.events("retail") if e.action == "rollback"]
    assert rolled[0].detail["from_version"] == 1 and rolled[0].detail["submitted"] == {WORKFLOW: 2}

    # The files hold version 1's texts now: nothing to roll back; a draft being written is not replaced.
    with pytest.raises(PublishRefused, match="nothing to roll back"):
        studio.rollback("retail", "retail-order", 1, "", MA)
    studio.save("retail", WORKFLOW, text + "# mine\n", 2, HE)
    with pytest.raises(PublishRefused, match="draft being written") as refused:
        studio.rollback("retail", "retail-order", 2, "", MA)
    assert "正在编写的草稿" in refused.value.message("zh")
    view = studio.file("retail", WORKFLOW)
    assert view is not None and view.draft is not None and view.draft.revision == 3


def test_a_draft_is_approved_only_by_an_admin_who_wrote_none_of_its_revisions(studio: Studio) -> None:
    """An approver who edits the submitted draft wrote a revision of it: the first author, who did not
    see that edit through anyone else, may approve it, but the approver may not approve his own edit,
    and neither may anyone who wrote a revision since the last publish."""
    wang = Actor("wang.wu", frozenset({"admin"}), frozenset({"retail"}))
    studio.set_four_eyes("retail", True, MA)
    text = studio.published_text(WORKFLOW).replace("label: {zh: 待支付,", "label: {zh: 等待付款,", 1)
    studio.save("retail", WORKFLOW, text, 0, MA)
    studio.submit("retail", WORKFLOW, 1, "please", MA)
    edited = text.replace("label: {zh: 等待付款,", "label: {zh: 等候付款,", 1)
    studio.save("retail", WORKFLOW, edited, 1, HE)  # the approver edits instead of approving
    studio.submit("retail", WORKFLOW, 2, "with my change", HE)
    for writer, revisions in ((MA, "1"), (HE, "2")):
        refused_by = MA if writer is MA else HE
        with pytest.raises(PublishRefused) as refused:
            studio.publish("retail", WORKFLOW, 2, "", refused_by)
        if writer is MA:
            assert f"you wrote revision(s) {revisions} of this draft" in refused.value.message("en")
            assert f"您编写了此草稿的第 {revisions} 稿" in refused.value.message("zh")
        else:
            assert "you submitted this draft" in refused.value.message("en")
    view = studio.file("retail", WORKFLOW)
    assert view is not None and dict(view.writers) == {"ma.li": [1], "he.tao": [2]}
    assert not view.may_approve("ma.li") and not view.may_approve("he.tao") and view.may_approve("wang.wu")
    assert view.approval_diff()[2:] and "+  pending_payment:" not in view.approval_diff()
    assert any(line.startswith("+") and "等候付款" in line for line in view.approval_diff())
    published = studio.publish("retail", WORKFLOW, 2, "", wang)
    assert {v.workflow: v.version for v in published.versions}["retail-order"] == 2
    # A new round after the publish: the earlier writers may approve what they did not write.
    studio.save("retail", WORKFLOW, edited + "# more\n", 2, wang)
    studio.submit("retail", WORKFLOW, 3, "", wang)
    view = studio.file("retail", WORKFLOW)
    assert view is not None and dict(view.writers) == {"wang.wu": [3]} and view.may_approve("ma.li")
    studio.publish("retail", WORKFLOW, 3, "", MA)


def store_sources(store: Store, workflow: str, version: int) -> dict[str, str]:
    with store.read() as tx:
        sources = tx.version_sources(workflow, version)
    assert sources is not None
    return dict(sources)
