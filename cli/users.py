"""`orderloom users`: web logins."""

from __future__ import annotations

import sys

import click

from cli.common import open_services
from engine.api.accounts import UserExists, api_logins, change_api_login, list_users


@click.group()
def users() -> None:
    """Web logins: add a user with roles and departments, change a password, mark an API login, list
    them."""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeat for more).")
@click.option(
    "--department", "departments", multiple=True, required=True, help='A department (repeat; "*" for all).'
)
@click.option("--display-name", default=None, help="The name shown in the page header.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option(
    "--api",
    is_flag=True,
    help="An API login (a program such as the web shop, not a person): never offered as an assignee.",
)
@click.pass_context
def users_add(
    ctx: click.Context,
    name: str,
    roles: tuple[str, ...],
    departments: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
    api: bool,
) -> None:
    """Add a web login NAME; the password is asked for (twice), or read from stdin."""
    from web.users import MIN_PASSWORD, create_user  # hashing loads when used: keeps `orderloom --help` fast

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        click.echo(f"error: a password needs at least {MIN_PASSWORD} characters", err=True)
        sys.exit(1)
    with open_services(ctx, migrated=False) as services:
        services.store.upgrade()
        try:
            user = create_user(
                services.store,
                name=name,
                password=password,
                roles=roles,
                departments=departments,
                at=services.engine.clock.now(),
                display_name=display_name,
                api=api,
            )
        except UserExists:
            click.echo(f"error: a user named {name!r} exists already", err=True)
            sys.exit(1)
    kind = " (API login)" if api else ""
    click.echo(f"user {user.name} added{kind}: {','.join(user.roles)} @ {','.join(user.departments)}")


@users.command("change")
@click.argument("name")
@click.option(
    "--api/--person",
    "api",
    default=None,
    help="Mark NAME an API login (a program, never offered as an assignee) or a person again.",
)
@click.pass_context
def users_change(ctx: click.Context, name: str, api: bool | None) -> None:
    """Change the web login NAME: whether it is an API login (--api) or a person (--person)."""
    if api is None:
        click.echo("error: say what to change: --api or --person", err=True)
        sys.exit(2)
    with open_services(ctx) as services:
        changed = change_api_login(services.store, name, api)
    if not changed:
        click.echo(f"error: there is no user named {name!r} (`orderloom users list` lists them)", err=True)
        sys.exit(1)
    click.echo(f"user {name} is now {'an API login' if api else 'a person'}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def users_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Give the web login NAME a new password; every session of NAME ends (on every web process)."""
    from web.users import MIN_PASSWORD, change_password  # keeps `orderloom --help` fast

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        click.echo(f"error: a password needs at least {MIN_PASSWORD} characters", err=True)
        sys.exit(1)
    with open_services(ctx) as services:
        ended = change_password(services.store, name, password)
    if ended is None:
        click.echo(f"error: there is no user named {name!r} (`orderloom users list` lists them)", err=True)
        sys.exit(1)
    click.echo(f"password of {name} changed; {ended} session(s) ended")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List the web logins: name, roles @ departments, whether active (never a password or hash)."""
    with open_services(ctx, migrated=False) as services:
        services.store.upgrade()
        found = list_users(services.store)
        programs = api_logins(services.store)
    if not found:
        click.echo("no users yet: `orderloom users add NAME --role … --department …`, or `orderloom demo`")
        return
    for user in found:
        state = ("  (API login)" if user.name in programs else "") + ("" if user.active else "  (inactive)")
        shown = f" ({user.display_name})" if user.display_name != user.name else ""
        click.echo(f"{user.name}{shown}: {','.join(user.roles)} @ {','.join(user.departments)}{state}")
