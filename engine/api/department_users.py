"""A department's users and roles as its admins change them in the studio (``engine.runtime.
department_users``): add, deactivate and reactivate, change roles, reset a password, each recorded."""

from engine.runtime.department_users import (
    MAX_DISPLAY_NAME,
    MAX_NAME,
    MIN_PASSWORD,
    DepartmentUser,
    DepartmentUsers,
    UserChange,
    UserChanged,
    UserField,
    UserProblem,
    UserProblemCode,
    UserRefused,
    UsersPage,
    outside,
    password_problems,
)

__all__ = [
    "MAX_DISPLAY_NAME",
    "MAX_NAME",
    "MIN_PASSWORD",
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
