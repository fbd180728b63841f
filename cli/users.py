"""`orderloom users`: web logins."""

from __future__ import annotations

import sys

import click

from cli.common import open_services
from engine.api.accounts import UserExists, list_users


@click.group()
def users() -> None:
    """Web logins: add a user with roles and departments, change a password, list them."""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeat for more).")
@click.option(
    "--department", "departments", multiple=True, required=True, help='A department (repeat; "*" for all).'
)
@click.option("--display-name", default=None, help="The name shown in the page header.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def users_add(
    ctx: click.Context,
    name: str,
    roles: tuple[str, ...],
    departments: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
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
            )
        except UserExists:
            click.echo(f"error: a user named {name!r} exists already", err=True)
            sys.exit(1)
    click.echo(f"user {user.name} added: {','.join(user.roles)} @ {','.join(user.departments)}")


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
    if not found:
        click.echo("no users yet: `orderloom users add NAME --role … --department …`, or `orderloom demo`")
        return
    for user in found:
        state = "" if user.active else "  (inactive)"
        shown = f" ({user.display_name})" if user.display_name != user.name else ""
        click.echo(f"{user.name}{shown}: {','.join(user.roles)} @ {','.join(user.departments)}{state}")
