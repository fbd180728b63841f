"""A department's users and roles, as its admins change them in the studio (工作室 · 用户与角色).

Users are the web logins of ``engine.store.users``: a name, a display name, roles, departments, active
or not. Roles are the user's own, whatever department they work in, while departments are a list
(``"*"``: every one). So the users of a department are those whose departments name it (or hold ``"*"``);
a user of every department is shown but changed only with ``orderloom users``; and changing a user's
roles here changes them wherever the user works.

The roles an admin gives are the ones the department's published workflows declare (the newest version
of each: its ``roles``, ``create_roles`` and every transition's ``roles``), ``admin``, and the roles the
product's own pages ask for, in no workflow (``PRODUCT_ROLES``: ``warehouse`` and ``purchaser`` for the
stock pages). A role the user
holds that none of them declares (another department's) is kept as it is.

Each change is one write transaction: it reads every user with their rows locked (``lock_users``),
checks again that the actor is an active admin of the department, applies the rules below, writes, and
records the change in the studio's record (``StudioAction.USER``, the user's name as its subject and
``{"change": …}`` in its detail). Two admins changing users at once run one after the other, the second
deciding on what the first wrote. The rules:

- a new user's name has 1 to ``MAX_NAME`` characters, none of them whitespace, a control character or
  ``/``, and is not taken, not even by a name differing only in case;
- a user keeps at least one role, and each role given is one the department offers;
- a password has at least ``MIN_PASSWORD`` characters (as ``orderloom users`` asks) and is typed twice
  the same; it is hashed (``hash_password``: argon2 in the web app) before the transaction, and neither
  it nor its hash is recorded;
- an admin neither deactivates themselves nor takes away their own admin role, and no change leaves a
  department the user belongs to without an active admin of its own (a user of every department is not
  counted: the department's admins are those naming it);
- a deactivation and a new password end every session of the user, in the same transaction, and reach
  wherever the user works: a user who also works in a department the actor does not belong to is
  neither deactivated nor given a password by them (``OTHER_DEPARTMENTS``); their roles still change.

Every problem of a form is found at once and said in zh and en, naming its field (``UserRefused``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from engine.common.suggest import did_you_mean
from engine.common.text import Text
from engine.common.words import term, word
from engine.errors import EngineError, NotFound
from engine.runtime.actor import ALL_DEPARTMENTS, Actor
from engine.runtime.engine import Engine
from engine.runtime.outbox import ADMIN_ROLE
from engine.runtime.stock import STOCK_READERS
from engine.runtime.studio_record import StudioAction, record
from engine.store import Tx
from engine.store.studio import StudioEventRow, studio_events_of
from engine.store.users import (
    UserExists,
    UserRow,
    api_logins,
    change_user,
    insert_user,
    list_users,
    lock_users,
    set_email,
    user_email,
)
from engine.store.versions import newest_versions

__all__ = [
    "MAX_DISPLAY_NAME",
    "MAX_NAME",
    "MIN_PASSWORD",
    "PRODUCT_ROLES",
    "DepartmentUser",
    "DepartmentUsers",
    "UserChange",
    "UserChanged",
    "UserField",
    "UserProblem",
    "UserProblemCode",
    "UserRefused",
    "UsersPage",
    "outside",
    "password_problems",
]

MIN_PASSWORD = 8  # characters of a password, at least: the studio's, web.users' and the CLI's rule
MAX_NAME = 100
MAX_DISPLAY_NAME = 200
MAX_EMAIL = 320  # characters of an e-mail address (its column's width)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# whitespace, control characters, half of a surrogate pair (no character: no database stores it), "/"
_NOT_IN_A_NAME = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff/]")
_NOT_IN_A_DISPLAY_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class UserChange(StrEnum):
    """What a change did to a user (``detail.change`` in the studio's record)."""

    ADD = "add"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    ROLES = "roles"
    PASSWORD = "password"  # noqa: S105  # the name of a change, not a password
    EMAIL = "email"  # where their approval tasks are mailed


class UserProblemCode(StrEnum):
    """Which problem refused a change, for a program to act on."""

    NAME_MISSING = "name-missing"
    NAME_FORM = "name-form"
    NAME_TAKEN = "name-taken"
    DISPLAY_NAME_FORM = "display-name-form"
    ROLES_NONE = "roles-none"
    ROLE_UNKNOWN = "role-unknown"
    PASSWORD_SHORT = "password-short"  # noqa: S105  # the names of problems, not passwords
    PASSWORD_MISMATCH = "password-mismatch"  # noqa: S105
    EMAIL_FORM = "email-form"
    # the rules a change keeps, whatever the form said
    SELF = "self"  # an admin deactivating or demoting themselves
    LAST_ADMIN = "last-admin"  # a department left without an active admin of its own
    NOT_ADMIN = "not-admin"  # the actor is no longer an active admin of the department
    EVERY_DEPARTMENT = "every-department"  # a user of every department is not changed here
    OTHER_DEPARTMENTS = "other-departments"  # locked out or given a password where the actor is no admin


RULES = frozenset(
    {
        UserProblemCode.SELF,
        UserProblemCode.LAST_ADMIN,
        UserProblemCode.NOT_ADMIN,
        UserProblemCode.OTHER_DEPARTMENTS,
    }
)


class UserField(StrEnum):
    """The field of the studio's forms a problem is about; ``USER`` for the change as a whole."""

    NAME = "name"
    DISPLAY_NAME = "display_name"
    ROLES = "roles"
    PASSWORD = "password"  # noqa: S105  # the names of fields, not passwords
    PASSWORD_AGAIN = "password_again"  # noqa: S105
    EMAIL = "email"
    USER = "user"


# The roles the product itself asks for, in no workflow: the stock pages' (the warehouse changes stock, the
# purchaser reads it and sets the safety stock). Every department offers them, so an admin can make one.
PRODUCT_ROLES: tuple[str, ...] = tuple(sorted(STOCK_READERS - {ADMIN_ROLE}))


@dataclass(frozen=True)
class UserProblem:
    """One reason a change is refused: the field, a code for a program (``name-taken``, ``last-admin``…)
    and the words in zh and en."""

    field: UserField
    code: UserProblemCode
    text: Text

    def message(self, lang: str = "en") -> str:
        return self.text.get(lang)


class UserRefused(EngineError):
    """A user change refused, with every problem found; nothing was written."""

    def __init__(self, problems: Sequence[UserProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "; ".join(p.text.en for p in self.problems), zh="；".join(p.text.zh for p in self.problems)
        )

    def on(self, field: UserField) -> list[UserProblem]:
        return [p for p in self.problems if p.field is field]

    @property
    def codes(self) -> set[UserProblemCode]:
        return {p.code for p in self.problems}

    @property
    def of_the_form(self) -> bool:
        """Whether only what the form said is refused (no rule of the department, no user it may not
        change): sent again corrected, it may pass."""
        return not self.codes & {*RULES, UserProblemCode.EVERY_DEPARTMENT}


@dataclass(frozen=True)
class DepartmentUser:
    """A user as a department's users page shows them (never their password's hash)."""

    name: str
    display_name: str
    roles: tuple[str, ...]
    departments: tuple[str, ...]
    active: bool
    created_at: datetime
    email: str | None = None  # where their approval tasks are mailed (read for one user's page)
    api: bool = False  # an API login: a program, not a person (``orderloom users change NAME --api``)

    @property
    def every_department(self) -> bool:
        """A user of every department (``"*"``): shown, not changed by a department's admin."""
        return ALL_DEPARTMENTS in self.departments

    @classmethod
    def of(cls, row: UserRow, api: bool = False) -> DepartmentUser:
        return cls(
            row.name, row.display_name, row.roles, row.departments, row.active, row.created_at, api=api
        )


@dataclass(frozen=True)
class UsersPage:
    """The users of a department (by name), the roles it offers, and the record of its user changes
    (newest first)."""

    department: str
    users: Sequence[DepartmentUser]
    roles: tuple[str, ...]
    events: Sequence[StudioEventRow]


@dataclass(frozen=True)
class UserChanged:
    """What a change did: the user as they are now, the change (None: nothing was different, nothing
    recorded) and how many of their sessions it ended."""

    user: DepartmentUser
    change: UserChange | None
    sessions_ended: int = 0


def _problem(field: UserField, code: UserProblemCode, key: str, **values: str | int) -> UserProblem:
    text = word(f"studio.users.error.{key}")
    return UserProblem(field, code, Text(text.zh.format(**values), text.en.format(**values)))


def _belongs(row: UserRow, department: str) -> bool:
    return department in row.departments or ALL_DEPARTMENTS in row.departments


def _admin_of(row: UserRow, department: str) -> bool:
    """An active admin the department counts as its own (it names the department)."""
    return row.active and ADMIN_ROLE in row.roles and department in row.departments


def outside(departments: Sequence[str], actor: Actor) -> list[str]:
    """The departments of ``departments`` the actor is no admin of: a user working there too is not
    locked out nor given a new password by this actor (their own admins are asked)."""
    if ALL_DEPARTMENTS in actor.departments:
        return []
    return [d for d in departments if d not in actor.departments]


def _other_departments(name: str, others: Sequence[str]) -> UserRefused:
    text = word("studio.users.error.other_departments")
    zh = "、".join(term("department", d, "zh") for d in others)
    en = ", ".join(term("department", d, "en") for d in others)
    problem = UserProblem(
        UserField.USER,
        UserProblemCode.OTHER_DEPARTMENTS,
        Text(text.zh.format(user=name, departments=zh), text.en.format(user=name, departments=en)),
    )
    return UserRefused([problem])


def password_problems(password: str, again: str) -> list[UserProblem]:
    """What is wrong with a new password typed twice: too short, or not the same twice."""
    if len(password) < MIN_PASSWORD:
        return [
            _problem(UserField.PASSWORD, UserProblemCode.PASSWORD_SHORT, "password_short", n=MIN_PASSWORD)
        ]
    if password != again:
        return [_problem(UserField.PASSWORD_AGAIN, UserProblemCode.PASSWORD_MISMATCH, "password_mismatch")]
    return []


class DepartmentUsers:
    """A department's users, read and changed by its admins. ``hash_password`` turns a password into
    the hash the store keeps (the web app's argon2); it runs before a change's transaction."""

    def __init__(self, engine: Engine, hash_password: Callable[[str], str]) -> None:
        self.engine = engine
        self.store = engine.parts.store
        self.clock = engine.parts.clock
        self.hash_password = hash_password

    # -- reading -----------------------------------------------------------------------------------

    def page(self, department: str, limit: int = 100) -> UsersPage:
        with self.store.read() as tx:
            roles = self._offered(tx, department)
        programs = api_logins(self.store)
        users = [
            DepartmentUser.of(row, row.name in programs)
            for row in list_users(self.store)
            if _belongs(row, department)
        ]
        events = studio_events_of(self.store, department, limit, actions=[StudioAction.USER])
        return UsersPage(department, users, roles, events)

    def roles_offered(self, department: str) -> tuple[str, ...]:
        """``admin``, the roles the product's own pages ask for (:data:`PRODUCT_ROLES`) and the roles the
        newest version of each of the department's workflows declares."""
        with self.store.read() as tx:
            return self._offered(tx, department)

    def user(self, department: str, name: str) -> DepartmentUser:
        """The user ``name`` of ``department``; ``NotFound`` for a user of no such name or of another
        department."""
        for row in list_users(self.store):
            if row.name == name and _belongs(row, department):
                return replace(DepartmentUser.of(row), email=user_email(self.store, name))
        raise self._unknown(department, name)

    def _offered(self, tx: Tx, department: str) -> tuple[str, ...]:
        roles = {ADMIN_ROLE, *PRODUCT_ROLES}
        for _, workflow, version in newest_versions(tx.connection, [department]):
            spec = self.engine.parts.compiled(tx, workflow, version).spec
            roles.update(spec.roles, spec.create_roles)
            for transition in spec.transitions:
                roles.update(transition.roles)
        return tuple(sorted(roles))

    # -- changing ----------------------------------------------------------------------------------

    def add(
        self,
        department: str,
        actor: Actor,
        *,
        name: str,
        display_name: str,
        roles: Collection[str],
        password: str,
        password_again: str,
    ) -> UserChanged:
        """A new user of ``department`` (of it alone) with ``roles``, active, with ``password``."""
        name, display_name = name.strip(), display_name.strip()
        chosen = sorted(set(roles))
        offered = self.roles_offered(department)
        problems = [
            *_new_name_problems(list_users(self.store), name),
            *_display_name_problems(display_name),  # none given: the name, checked as the name
            *_role_problems(chosen, offered, chosen),
            *password_problems(password, password_again),
        ]
        if problems:
            raise UserRefused(problems)
        display_name = display_name or name
        password_hash = self.hash_password(password)
        with self.store.transaction() as tx:
            rows = lock_users(tx)
            self._still_admin(rows, department, actor)
            again = [
                *_new_name_problems(rows, name),
                *_role_problems(chosen, self._offered(tx, department), chosen),
            ]
            if again:
                raise UserRefused(again)
            try:
                row = insert_user(
                    tx,
                    name=name,
                    display_name=display_name,
                    password_hash=password_hash,
                    roles=chosen,
                    departments=[department],
                    at=self.clock.now(),
                )
            except UserExists:  # taken by another transaction at the same moment
                raise UserRefused(
                    [_problem(UserField.NAME, UserProblemCode.NAME_TAKEN, "name_taken", name=name)]
                ) from None
            self._record(tx, department, actor, name, UserChange.ADD, roles=chosen, display_name=display_name)
        return UserChanged(DepartmentUser.of(row), UserChange.ADD)

    def set_active(self, department: str, actor: Actor, name: str, active: bool) -> UserChanged:
        """Reactivate the user ``name``, or deactivate them: they cannot log in, their sessions end."""
        with self.store.transaction() as tx:
            rows, target = self._target(tx, department, actor, name, whole=True)
            if target.active == active:
                return UserChanged(DepartmentUser.of(target), None)
            if not active and target.name == actor.name:
                raise UserRefused([_problem(UserField.USER, UserProblemCode.SELF, "self_deactivate")])
            after = replace(target, active=active)
            _keep_admins(rows, target, after)
            ended = change_user(tx, target.id, active=active)
            change = UserChange.REACTIVATE if active else UserChange.DEACTIVATE
            extra = {} if active else {"sessions_ended": ended}
            self._record(tx, department, actor, name, change, **extra)
        return UserChanged(DepartmentUser.of(after), change, ended)

    def set_roles(self, department: str, actor: Actor, name: str, roles: Collection[str]) -> UserChanged:
        """Give the user ``name`` the ``roles`` chosen of those the department offers; the roles they
        hold that it does not offer are kept."""
        chosen = sorted(set(roles))
        with self.store.transaction() as tx:
            rows, target = self._target(tx, department, actor, name)
            offered = self._offered(tx, department)
            kept = [r for r in target.roles if r not in offered]
            new = sorted({*kept, *chosen})
            problems = _role_problems(chosen, offered, new)
            if problems:
                raise UserRefused(problems)
            if tuple(new) == tuple(sorted(target.roles)):
                return UserChanged(DepartmentUser.of(target), None)
            if target.name == actor.name and ADMIN_ROLE in target.roles and ADMIN_ROLE not in new:
                raise UserRefused([_problem(UserField.ROLES, UserProblemCode.SELF, "self_demote")])
            after = replace(target, roles=tuple(new))
            _keep_admins(rows, target, after)
            change_user(tx, target.id, roles=new)
            self._record(
                tx,
                department,
                actor,
                name,
                UserChange.ROLES,
                added=sorted(set(new) - set(target.roles)),
                removed=sorted(set(target.roles) - set(new)),
                roles=new,
            )
        return UserChanged(DepartmentUser.of(after), UserChange.ROLES)

    def reset_password(
        self, department: str, actor: Actor, name: str, password: str, password_again: str
    ) -> UserChanged:
        """A new password for the user ``name``: every session of theirs ends."""
        user = self.user(department, name)  # an unknown user is not found before any password is hashed
        others = outside(user.departments, actor)
        if others:
            raise _other_departments(name, others)
        problems = password_problems(password, password_again)
        if problems:
            raise UserRefused(problems)
        password_hash = self.hash_password(password)
        with self.store.transaction() as tx:
            _, target = self._target(tx, department, actor, name, whole=True)
            ended = change_user(tx, target.id, password_hash=password_hash)
            self._record(tx, department, actor, name, UserChange.PASSWORD, sessions_ended=ended)
        return UserChanged(DepartmentUser.of(target), UserChange.PASSWORD, ended)

    def set_email(self, department: str, actor: Actor, name: str, email: str) -> UserChanged:
        """The address the user ``name``'s approval tasks and reminders are mailed to (empty: none)."""
        wanted = email.strip() or None
        if wanted is not None and (len(wanted) > MAX_EMAIL or not _EMAIL.fullmatch(wanted)):
            raise UserRefused([_problem(UserField.EMAIL, UserProblemCode.EMAIL_FORM, "email_form")])
        before = self.user(department, name).email
        with self.store.transaction() as tx:
            _, target = self._target(tx, department, actor, name)
            if before == wanted:
                return UserChanged(replace(DepartmentUser.of(target), email=before), None)
            set_email(tx, name, wanted)
            self._record(tx, department, actor, name, UserChange.EMAIL, email=wanted)
        return UserChanged(replace(DepartmentUser.of(target), email=wanted), UserChange.EMAIL)

    # -- inside a change's transaction ---------------------------------------------------------------

    def _target(
        self, tx: Tx, department: str, actor: Actor, name: str, *, whole: bool = False
    ) -> tuple[list[UserRow], UserRow]:
        """Every user, locked, and the one to change: of the department, and not of every department;
        ``whole``: a change that reaches wherever the user works (a deactivation, a password), so every
        department of theirs must be one the actor administers."""
        rows = lock_users(tx)
        self._still_admin(rows, department, actor)
        target = next((row for row in rows if row.name == name and _belongs(row, department)), None)
        if target is None:
            raise self._unknown(department, name)
        if ALL_DEPARTMENTS in target.departments:
            raise UserRefused(
                [_problem(UserField.USER, UserProblemCode.EVERY_DEPARTMENT, "every_department", user=name)]
            )
        others = outside(target.departments, actor)
        if whole and others:
            raise _other_departments(name, others)
        return rows, target

    @staticmethod
    def _still_admin(rows: Sequence[UserRow], department: str, actor: Actor) -> None:
        """The actor, as stored now, is an active admin of the department (they may have been made
        inactive or demoted since their page was drawn)."""
        found = next((row for row in rows if row.name == actor.name), None)
        if (
            found is None
            or not found.active
            or ADMIN_ROLE not in found.roles
            or not _belongs(found, department)
        ):
            raise UserRefused(
                [_problem(UserField.USER, UserProblemCode.NOT_ADMIN, "not_admin", department=department)]
            )

    def _record(
        self, tx: Tx, department: str, actor: Actor, name: str, change: UserChange, **detail: object
    ) -> None:
        record(tx, self.clock, department, actor, StudioAction.USER, name, {"change": change.value, **detail})

    @staticmethod
    def _unknown(department: str, name: str) -> NotFound:
        text = word("studio.users.error.unknown_user")
        return NotFound(
            text.en.format(department=department, user=name),
            zh=text.zh.format(department=department, user=name),
        )


def _new_name_problems(rows: Sequence[UserRow], name: str) -> list[UserProblem]:
    if not name:
        return [_problem(UserField.NAME, UserProblemCode.NAME_MISSING, "name_missing")]
    if len(name) > MAX_NAME or _NOT_IN_A_NAME.search(name):
        return [_problem(UserField.NAME, UserProblemCode.NAME_FORM, "name_form", max=MAX_NAME)]
    for row in rows:
        if row.name == name:
            return [_problem(UserField.NAME, UserProblemCode.NAME_TAKEN, "name_taken", name=name)]
    for row in rows:
        if row.name.casefold() == name.casefold():
            return [
                _problem(
                    UserField.NAME, UserProblemCode.NAME_TAKEN, "name_taken_case", name=name, other=row.name
                )
            ]
    return []


def _display_name_problems(display_name: str) -> list[UserProblem]:
    if len(display_name) > MAX_DISPLAY_NAME or _NOT_IN_A_DISPLAY_NAME.search(display_name):
        return [
            _problem(
                UserField.DISPLAY_NAME,
                UserProblemCode.DISPLAY_NAME_FORM,
                "display_name_form",
                max=MAX_DISPLAY_NAME,
            )
        ]
    return []


def _role_problems(chosen: Sequence[str], offered: Sequence[str], held: Sequence[str]) -> list[UserProblem]:
    """Each role chosen is offered; the user holds at least one role afterwards."""
    problems = []
    for role in chosen:
        if role not in offered:
            text = word("studio.users.error.role_unknown")
            problems.append(
                UserProblem(
                    UserField.ROLES,
                    UserProblemCode.ROLE_UNKNOWN,
                    Text(
                        text.zh.format(
                            role=role, suggestion=did_you_mean(role, offered, "zh"), roles="、".join(offered)
                        ),
                        text.en.format(
                            role=role, suggestion=did_you_mean(role, offered), roles=", ".join(offered)
                        ),
                    ),
                )
            )
    if not held:
        problems.append(_problem(UserField.ROLES, UserProblemCode.ROLES_NONE, "roles_none"))
    return problems


def _keep_admins(rows: Sequence[UserRow], before: UserRow, after: UserRow) -> None:
    """Refuse a change leaving a department ``before`` belongs to without an active admin of its own."""
    others = [row for row in rows if row.id != before.id]
    problems = [
        _problem(
            UserField.USER, UserProblemCode.LAST_ADMIN, "last_admin", user=before.name, department=department
        )
        for department in before.departments
        if department != ALL_DEPARTMENTS
        and _admin_of(before, department)
        and not _admin_of(after, department)
        and not any(_admin_of(row, department) for row in others)
    ]
    if problems:
        raise UserRefused(problems)
