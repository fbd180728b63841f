"""A department's users as its admins change them (engine/runtime/department_users.py), on SQLite and
PostgreSQL: the roles offered come from the published workflows, every problem of a form is found at
once in zh and en with nothing written, a department keeps an active admin of its own, an admin neither
deactivates nor demotes themselves, sessions end with a deactivation or a new password, and every change
is in the studio's record."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from engine.errors import NotFound
from engine.runtime import Actor, Engine
from engine.runtime.department_users import (
    MIN_PASSWORD,
    DepartmentUsers,
    UserChange,
    UserField,
    UserRefused,
)
from engine.runtime.studio_record import StudioAction
from engine.store import Store
from engine.store.studio import studio_events_of
from engine.store.users import add_user, find_user, session_user, start_session

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, cheap to make
DAY = timedelta(hours=12)
ENGINE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def stored(store: Store, name: str, roles: list[str], departments: list[str], active: bool = True) -> Actor:
    add_user(
        store,
        name=name,
        display_name=name,
        password_hash=HASHER.hash(f"{name}-password"),
        roles=roles,
        departments=departments,
        at=ENGINE_TIME,
        active=active,
    )
    return Actor(name, frozenset(roles), frozenset(departments))


@pytest.fixture
def users(engine: Engine) -> DepartmentUsers:
    return DepartmentUsers(engine, HASHER.hash)


@pytest.fixture
def ma(store: Store) -> Actor:
    """ma.li, admin of retail; with he.tao (admin of retail) and li.na (clerk of retail) stored too."""
    actor = stored(store, "ma.li", ["admin"], ["retail"])
    stored(store, "he.tao", ["admin"], ["retail"])
    stored(store, "li.na", ["clerk"], ["retail"])
    return actor


def user_events(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    return [
        (e.actor, e.subject, dict(e.detail))
        for e in studio_events_of(store, "retail", actions=[StudioAction.USER])
    ]


def test_the_roles_offered_are_admin_and_those_the_published_workflows_declare(
    users: DepartmentUsers,
) -> None:
    # retail-order declares clerk, auditor, warehouse; audited-order adds supervisor
    assert users.roles_offered("retail") == (
        "admin",
        "auditor",
        "clerk",
        "purchaser",
        "supervisor",
        "warehouse",
    )
    # its workflow declares none: the stock pages' roles are offered in every department all the same
    assert users.roles_offered("wholesale") == ("admin", "purchaser", "warehouse")
    assert users.roles_offered("nowhere") == ("admin", "purchaser", "warehouse")


def test_an_admin_adds_a_user_of_the_department_recorded_with_a_hashed_password(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    added = users.add(
        "retail",
        ma,
        name="  zhao.lei ",
        display_name="",
        roles=["clerk", "auditor"],
        password="zhao-lei-password",
        password_again="zhao-lei-password",
    )
    assert added.change is UserChange.ADD
    row = find_user(store, "zhao.lei")
    assert row is not None
    assert (row.display_name, row.roles, row.departments, row.active) == (
        "zhao.lei",
        ("auditor", "clerk"),
        ("retail",),
        True,
    )
    assert HASHER.verify(row.password_hash, "zhao-lei-password")
    assert "zhao-lei-password" not in row.password_hash
    assert user_events(store) == [
        ("ma.li", "zhao.lei", {"change": "add", "roles": ["auditor", "clerk"], "display_name": "zhao.lei"})
    ]
    page = users.page("retail")
    assert [u.name for u in page.users] == ["he.tao", "li.na", "ma.li", "zhao.lei"]


def test_every_problem_of_a_new_user_is_found_at_once_and_nothing_is_written(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    with pytest.raises(UserRefused) as refused:
        users.add(
            "retail",
            ma,
            name="Li.Na",
            display_name="x" * 201,
            roles=["clark", "admin"],
            password="short",
            password_again="short",
        )
    problems = {p.field: p for p in refused.value.problems}
    assert set(problems) == {UserField.NAME, UserField.DISPLAY_NAME, UserField.ROLES, UserField.PASSWORD}
    assert (
        problems[UserField.NAME].message("en") == "there is a user li.na: Li.Na differs from it only in case"
    )
    assert problems[UserField.NAME].message("zh") == "已有用户 li.na，与 Li.Na 只差大小写"
    assert "did you mean 'clerk'?" in problems[UserField.ROLES].message("en")
    assert "您是否想输入 'clerk'" in problems[UserField.ROLES].message("zh")
    assert (
        problems[UserField.PASSWORD].message("en") == f"a password needs at least {MIN_PASSWORD} characters"
    )
    assert problems[UserField.PASSWORD].message("zh") == f"密码至少需要 {MIN_PASSWORD} 个字符"
    assert find_user(store, "Li.Na") is None and user_events(store) == []


@pytest.mark.parametrize(
    ("name", "roles", "password", "again", "field", "code"),
    [
        ("", ["clerk"], "long-enough", "long-enough", UserField.NAME, "name-missing"),
        ("li na", ["clerk"], "long-enough", "long-enough", UserField.NAME, "name-form"),
        ("li/na", ["clerk"], "long-enough", "long-enough", UserField.NAME, "name-form"),
        ("li\x00na", ["clerk"], "long-enough", "long-enough", UserField.NAME, "name-form"),
        ("x" * 101, ["clerk"], "long-enough", "long-enough", UserField.NAME, "name-form"),
        ("li.na", ["clerk"], "long-enough", "long-enough", UserField.NAME, "name-taken"),
        ("wu.di", [], "long-enough", "long-enough", UserField.ROLES, "roles-none"),
        ("wu.di", ["sales"], "long-enough", "long-enough", UserField.ROLES, "role-unknown"),
        ("wu.di", ["clerk"], "long-enough", "long-enouGh", UserField.PASSWORD_AGAIN, "password-mismatch"),
        ("wu.di", ["clerk"], "1234567", "1234567", UserField.PASSWORD, "password-short"),
    ],
)
def test_a_new_user_is_refused_naming_the_field(
    users: DepartmentUsers,
    store: Store,
    ma: Actor,
    name: str,
    roles: list[str],
    password: str,
    again: str,
    field: UserField,
    code: str,
) -> None:
    with pytest.raises(UserRefused) as refused:
        users.add(
            "retail", ma, name=name, display_name="", roles=roles, password=password, password_again=again
        )
    ((problem),) = refused.value.problems
    assert (problem.field, problem.code) == (field, code)
    assert problem.message("zh") and problem.message("en") and problem.message("zh") != problem.message("en")
    assert user_events(store) == []


def test_deactivating_ends_every_session_and_reactivating_lets_the_user_back(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    li = find_user(store, "li.na")
    assert li is not None
    start_session(store, li.id, "li-1", ENGINE_TIME, DAY)
    start_session(store, li.id, "li-2", ENGINE_TIME, DAY)
    done = users.set_active("retail", ma, "li.na", False)
    assert (done.change, done.sessions_ended, done.user.active) == (UserChange.DEACTIVATE, 2, False)
    assert session_user(store, "li-1", ENGINE_TIME, DAY) is None
    again = users.set_active("retail", ma, "li.na", False)
    assert again.change is None  # nothing was different: nothing recorded
    assert users.set_active("retail", ma, "li.na", True).change is UserChange.REACTIVATE
    found = find_user(store, "li.na")
    assert found is not None and found.active
    assert user_events(store) == [
        ("ma.li", "li.na", {"change": "reactivate"}),
        ("ma.li", "li.na", {"change": "deactivate", "sessions_ended": 2}),
    ]


def test_roles_change_only_among_those_offered_and_the_others_are_kept(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    stored(store, "sun.yu", ["clerk", "sales"], ["retail", "wholesale"])
    done = users.set_roles("retail", ma, "sun.yu", ["auditor", "warehouse"])
    assert done.user.roles == ("auditor", "sales", "warehouse")  # sales is wholesale's: kept
    found = find_user(store, "sun.yu")
    assert found is not None and found.roles == ("auditor", "sales", "warehouse")
    assert users.set_roles("retail", ma, "sun.yu", ["warehouse", "auditor"]).change is None
    with pytest.raises(UserRefused) as refused:
        users.set_roles("retail", ma, "sun.yu", ["auditor", "sales"])  # sales is not retail's to give
    assert refused.value.codes == {"role-unknown"}
    with pytest.raises(UserRefused) as refused:
        users.set_roles("retail", ma, "li.na", [])
    assert refused.value.codes == {"roles-none"}
    assert user_events(store) == [
        (
            "ma.li",
            "sun.yu",
            {
                "change": "roles",
                "added": ["auditor", "warehouse"],
                "removed": ["clerk"],
                "roles": ["auditor", "sales", "warehouse"],
            },
        )
    ]


def test_a_new_password_ends_every_session_and_is_never_recorded(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    li = find_user(store, "li.na")
    assert li is not None
    start_session(store, li.id, "li-1", ENGINE_TIME, DAY)
    with pytest.raises(UserRefused) as refused:
        users.reset_password("retail", ma, "li.na", "short", "short")
    assert refused.value.codes == {"password-short"}
    assert session_user(store, "li-1", ENGINE_TIME, DAY) is not None  # refused: nothing ended
    done = users.reset_password("retail", ma, "li.na", "a-new-password", "a-new-password")
    assert (done.change, done.sessions_ended) == (UserChange.PASSWORD, 1)
    found = find_user(store, "li.na")
    assert found is not None and HASHER.verify(found.password_hash, "a-new-password")
    assert session_user(store, "li-1", ENGINE_TIME, DAY) is None
    assert user_events(store) == [("ma.li", "li.na", {"change": "password", "sessions_ended": 1})]


def test_an_admin_neither_deactivates_nor_demotes_themselves(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    with pytest.raises(UserRefused) as refused:
        users.set_active("retail", ma, "ma.li", False)
    assert refused.value.codes == {"self"}
    assert "ask another admin" in refused.value.message("en") and "另一位管理员" in refused.value.message(
        "zh"
    )
    with pytest.raises(UserRefused) as refused:
        users.set_roles("retail", ma, "ma.li", ["clerk"])
    assert refused.value.codes == {"self"}
    assert users.set_roles("retail", ma, "ma.li", ["admin", "clerk"]).change is UserChange.ROLES  # kept admin
    found = find_user(store, "ma.li")
    assert found is not None and found.active and found.roles == ("admin", "clerk")


def test_no_change_leaves_a_department_of_the_user_without_an_active_admin_of_its_own(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    stored(store, "root", ["admin"], ["*"])  # of every department: not wholesale's own admin
    stored(store, "sun.yu", ["admin", "clerk"], ["retail", "wholesale"])  # wholesale's only admin
    both = Actor("root", frozenset({"admin"}), frozenset({"*"}))  # may lock sun.yu out of both
    for change in (
        lambda: users.set_active("retail", both, "sun.yu", False),
        lambda: users.set_roles("retail", ma, "sun.yu", ["clerk"]),
    ):
        with pytest.raises(UserRefused) as refused:
            change()
        assert refused.value.codes == {"last-admin"}
        assert refused.value.message("en") == (
            "sun.yu is the last active admin of department wholesale: make another user of it an admin first"
        )
        assert "sun.yu 是部门 wholesale 最后一位启用的管理员" in refused.value.message("zh")
    found = find_user(store, "sun.yu")
    assert found is not None and found.active and "admin" in found.roles
    stored(store, "xu.jie", ["admin"], ["wholesale"])
    assert users.set_active("retail", both, "sun.yu", False).change is UserChange.DEACTIVATE


def test_a_user_of_other_departments_too_is_locked_out_only_by_an_admin_of_them_all(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    stored(store, "zhao.lei", ["warehouse"], ["retail", "wholesale", "after_sales"])
    for change in (
        lambda: users.set_active("retail", ma, "zhao.lei", False),
        lambda: users.reset_password("retail", ma, "zhao.lei", "a-new-password", "a-new-password"),
    ):
        with pytest.raises(UserRefused) as refused:
            change()
        assert refused.value.codes == {"other-departments"}
        assert refused.value.message("en").startswith(
            "zhao.lei also works in After-sales, Wholesale: a deactivation or a new password reaches"
        )
        assert refused.value.message("zh").startswith("zhao.lei 也在售后、批发工作")
    found = find_user(store, "zhao.lei")
    assert found is not None and found.active and HASHER.verify(found.password_hash, "zhao.lei-password")
    assert users.set_roles("retail", ma, "zhao.lei", ["warehouse", "clerk"]).change is UserChange.ROLES
    everywhere = Actor("wang", frozenset({"admin"}), frozenset({"retail", "wholesale", "after_sales"}))
    stored(store, "wang", ["admin"], ["retail", "wholesale", "after_sales"])
    assert users.set_active("retail", everywhere, "zhao.lei", False).change is UserChange.DEACTIVATE


def test_users_of_every_department_and_of_other_departments_are_not_changed_here(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    stored(store, "root", ["admin"], ["*"])
    stored(store, "xu.jie", ["admin"], ["wholesale"])
    assert users.user("retail", "root").every_department
    with pytest.raises(UserRefused) as refused:
        users.set_roles("retail", ma, "root", ["clerk"])
    assert refused.value.codes == {"every-department"}
    with pytest.raises(NotFound) as missing:
        users.set_active("retail", ma, "xu.jie", False)
    assert missing.value.message("en") == "department retail has no user xu.jie"
    with pytest.raises(NotFound):
        users.reset_password("retail", ma, "nobody", "long-enough", "long-enough")
    assert "xu.jie" not in [u.name for u in users.page("retail").users]
    assert user_events(store) == []


def test_an_admin_made_inactive_or_demoted_meanwhile_changes_nothing(
    users: DepartmentUsers, store: Store, ma: Actor
) -> None:
    he = Actor("he.tao", frozenset({"admin"}), frozenset({"retail"}))
    users.set_active("retail", ma, "he.tao", False)
    with pytest.raises(UserRefused) as refused:  # he.tao's page was drawn before
        users.set_active("retail", he, "li.na", False)
    assert refused.value.codes == {"not-admin"}
    found = find_user(store, "li.na")
    assert found is not None and found.active


def deactivate_at_once(users: DepartmentUsers, department: str, a: Actor, b: Actor) -> list[str]:
    """``a`` deactivates ``b`` while ``b`` deactivates ``a``, both let go at the same moment: what each
    got, ``done`` or the codes of its refusal."""
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def deactivate(actor: Actor, other: str) -> None:
        start.wait()
        try:
            users.set_active(department, actor, other, False)
            outcomes.append("done")
        except UserRefused as refused:
            outcomes.append(",".join(sorted(refused.codes)))

    threads = [
        threading.Thread(target=deactivate, args=(a, b.name)),
        threading.Thread(target=deactivate, args=(b, a.name)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_two_admins_deactivating_each_other_at_once_leave_one_admin(engine: Engine, store: Store) -> None:
    """On PostgreSQL two transactions may both read before either writes, unless the users are locked:
    each would then find the other one deactivatable, and the department would have no admin left."""
    users = DepartmentUsers(engine, HASHER.hash)
    for round_ in range(5):
        department = f"d{round_}"
        a = stored(store, f"a{round_}", ["admin"], [department])
        b = stored(store, f"b{round_}", ["admin"], [department])
        assert deactivate_at_once(users, department, a, b) == ["done", "not-admin"]
        left = [find_user(store, name) for name in (a.name, b.name)]
        assert sum(1 for row in left if row is not None and row.active) == 1
