"""The ``orderloom`` command line: its group, and the commands of each module below it (definitions,
database, orders, processes, demo, outbox, users, accounts, lists, products, rules, forms, scenario,
stock)."""

from __future__ import annotations

import click

from cli import (
    accounts,
    database,
    definitions,
    demo,
    forms,
    lists,
    orders,
    outbox,
    processes,
    products,
    rules,
    scenario,
    stock,
    users,
)
from wiring.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="orderloom", prog_name="orderloom")
@click.pass_context
def main(ctx: click.Context) -> None:
    """OrderLoom: run order processes described as YAML workflows, forms and rule files.

    The database is ORDERLOOM_DATABASE_URL (or DATABASE_URL), by default var/orderloom.db beside the
    definitions, which are read from ORDERLOOM_DEFINITIONS, by default the repository.
    """
    try:
        ctx.obj = Settings.from_env()
    except ValueError as error:  # a setting that cannot be used: say which, not a traceback
        raise click.UsageError(str(error)) from None


main.add_command(definitions.validate)
main.add_command(definitions.publish)
main.add_command(definitions.versions)
main.add_command(definitions.migrate)
main.add_command(database.db)
main.add_command(orders.orders)
main.add_command(processes.worker)
main.add_command(processes.serve)
main.add_command(processes.run_all)
main.add_command(demo.demo)
main.add_command(outbox.outbox)
main.add_command(users.users)
main.add_command(accounts.accounts)
main.add_command(lists.lists)
main.add_command(products.products)
main.add_command(rules.rules)
main.add_command(forms.forms_group)
main.add_command(scenario.scenario)
main.add_command(stock.stock)
