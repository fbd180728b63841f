"""The ``orderloom`` group: it adds the commands of every module of cli/, and each answers --help."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cli.main import main


def every_command(group: click.Group, path: tuple[str, ...] = ()) -> list[list[str]]:
    """The command line of every command and group under ``group``, the group itself first."""
    found = [list(path)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(every_command(command, (*path, name)))
        else:
            found.append([*path, name])
    return found


COMMANDS = every_command(main)


def test_the_group_adds_the_commands_of_every_module() -> None:
    assert sorted(" ".join(command) for command in COMMANDS if command) == [
        "accounts", "accounts list", "accounts set", "db", "db upgrade", "demo", "forms", "forms preview",
        "lists", "lists add", "lists create", "lists import", "lists list", "lists remove", "lists show",
        "migrate", "orders", "orders create", "orders fire", "orders list", "orders reindex",
        "orders show", "outbox", "outbox list", "outbox replay", "outbox show", "products",
        "products export", "products import", "products list", "products set", "products show", "publish",
        "rules", "rules replay", "rules test", "run", "scenario", "scenario run", "serve", "stock",
        "stock adjust", "stock alerts", "stock ledger", "stock levels", "stock receive",
        "stock receive-transfer", "stock safety", "stock take", "stock take cancel", "stock take count",
        "stock take open", "stock take post", "stock take review", "stock transfer", "stock transfers",
        "users", "users add", "users change", "users list", "users password", "validate", "versions",
        "worker",
    ]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "orderloom")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output and "--help" in result.output
