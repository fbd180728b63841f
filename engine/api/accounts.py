"""Logins: users, their sessions and the throttle of failed logins, as the store keeps them (part of
``engine.api``; passwords are hashed by the web app, never here)."""

from engine.store.users import (
    AttemptRefused,
    UserExists,
    UserRow,
    add_user,
    api_logins,
    change_api_login,
    change_email,
    end_session,
    find_user,
    forget_login_attempts,
    give_back_login_attempt,
    list_users,
    rehash_password,
    session_user,
    set_password,
    start_session,
    take_login_attempt,
    user_email,
)

__all__ = [
    "AttemptRefused",
    "UserExists",
    "UserRow",
    "add_user",
    "api_logins",
    "change_api_login",
    "change_email",
    "end_session",
    "find_user",
    "forget_login_attempts",
    "give_back_login_attempt",
    "list_users",
    "rehash_password",
    "session_user",
    "set_password",
    "start_session",
    "take_login_attempt",
    "user_email",
]
