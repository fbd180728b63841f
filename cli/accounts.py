"""`orderloom accounts`: business customers' accounts."""

from __future__ import annotations

import sys

import click

from cli.common import fail, open_services
from engine.api import translate
from engine.api.customer_accounts import (
    ONLY_THE_RECORD,
    AccountRefused,
    AccountStatus,
    AccountTier,
    CustomerAccount,
    accounts_owing,
    put_account,
)
from engine.errors import EngineError


@click.group()
def accounts() -> None:
    """Business customers' accounts: the record a wholesale order takes its credit limit, standing, tier
    and account manager from, with the opening balance what the account owes counts (docs/departments.md)."""


@accounts.command("set")
@click.argument("account_no")
@click.option("--department", required=True, help="The department whose account it is (wholesale).")
@click.option("--company", required=True, help="The company's name.")
@click.option("--credit-limit", required=True, type=click.FloatRange(min=0), help="Credit limit in yuan.")
@click.option(
    "--opening-balance",
    "--outstanding",
    "outstanding",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Opening balance in yuan: what the customer owed before its orders were kept here, lowered "
    "as it is paid. What the account owes (owed(), which the credit check reads) is this and what its "
    "open orders still owe. --outstanding is its older name.",
)
@click.option("--overdue-days", default=0, show_default=True, type=click.IntRange(min=0), help="Oldest debt.")
@click.option(
    "--status",
    default="active",
    show_default=True,
    type=click.Choice([status.value for status in AccountStatus]),
)
@click.option("--tier", default=None, type=click.Choice([tier.value for tier in AccountTier]))
@click.option("--tax-id", default=None, help="The unified social credit code.")
@click.option(
    "--manager",
    default=None,
    help="The account manager: the login name of an active user of the department, who signs the "
    "approvals of the account's orders (left out: none, and the sales managers sign them).",
)
@click.option("--contact", default=None, help="The contact's name, filled in on the wholesale intake.")
@click.option("--mobile", default=None, help="The contact's mobile number, 11 digits.")
@click.option(
    "--province",
    default=None,
    help="The delivery address's province, its full name (as the intake's list writes it).",
)
@click.option("--city", default=None, help="Its city.")
@click.option("--district", default=None, help="Its district.")
@click.option("--address", default=None, help="Its street address.")
@click.option("--postcode", default=None, help="Its postcode, 6 digits.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")
@click.pass_context
def accounts_set(
    ctx: click.Context,
    account_no: str,
    department: str,
    company: str,
    credit_limit: float,
    outstanding: float,
    overdue_days: int,
    status: str,
    tier: str | None,
    tax_id: str | None,
    manager: str | None,
    contact: str | None,
    mobile: str | None,
    province: str | None,
    city: str | None,
    district: str | None,
    address: str | None,
    postcode: str | None,
    lang: str,
) -> None:
    """Store account ACCOUNT_NO of a department, or its new figures: orders placed from now on take them.

    The record is checked against the forms of the department's published workflows (the account
    number, company and tax id as their data and intake forms take them), and the account manager must be
    an active user of the department; nothing is stored when it does not fit. Every figure is set anew:
    an account set without --manager has none. The contact and address are what the wholesale intake's
    account picker fills in (each may be left out). The opening balance is read, not copied: what the
    account owes counts it at once, on its orders' pages and in the next credit check."""
    account = CustomerAccount(
        department,
        account_no,
        company,
        credit_limit,
        outstanding,
        overdue_days,
        status,
        tax_id,
        tier,
        manager,
        contact_name=contact,
        contact_mobile=mobile,
        address_province=province,
        address_city=city,
        address_district=district,
        address_detail=address,
        address_postcode=postcode,
    )
    with open_services(ctx) as services:
        try:
            stored = put_account(services.store, account, services.engine.clock.now())
        except AccountRefused as refused:
            heading = translate("cli.refused_heading", lang).format(headline=refused.headline.get(lang))
            click.echo(translate("cli.error", lang).format(message=heading), err=True)
            for problem in refused.problems:
                field = _ACCOUNT_OPTIONS.get(problem.field, problem.field)
                said = problem.zh if lang == "zh" else problem.en
                line = translate("cli.field_problem", lang).format(field=field, problem=said)
                if problem.forms:
                    forms = translate("cli.list_separator", lang).join(problem.forms)
                    line += translate("cli.in_forms", lang).format(forms=forms)
                click.echo(line, err=True)
            sys.exit(1)
        except EngineError as error:  # a published version this code cannot read, say
            fail(error, lang)
    done = "cli.account.added" if stored.created else "cli.account.updated"
    record = _account_line(account, lang)
    click.echo(translate(done, lang).format(account_no=account_no, department=department, record=record))
    if stored.checked:
        forms = translate("cli.list_separator", lang).join(stored.checked)
        click.echo(translate("cli.account.checked", lang).format(forms=forms))
    else:
        said = ONLY_THE_RECORD.get(lang).format(department=department)
        click.echo(translate("cli.note", lang).format(message=said))


# The option of ``accounts set`` that gives each field of a record (the number is its argument).
_ACCOUNT_OPTIONS = {
    "account_no": "ACCOUNT_NO",
    "department": "--department",
    "company": "--company",
    "credit_limit": "--credit-limit",
    "outstanding": "--opening-balance",
    "overdue_days": "--overdue-days",
    "status": "--status",
    "tier": "--tier",
    "tax_id": "--tax-id",
    "manager": "--manager",
    "contact_name": "--contact",
    "contact_mobile": "--mobile",
    "address_province": "--province",
    "address_city": "--city",
    "address_district": "--district",
    "address_detail": "--address",
    "address_postcode": "--postcode",
}


@accounts.command("list")
@click.option("--department", default=None, help="Only this department's accounts.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh"]), help="Language of messages.")
@click.pass_context
def accounts_list(ctx: click.Context, department: str | None, lang: str) -> None:
    """List the accounts: number, company, credit limit, opening balance, what each owes in all (the
    opening balance and its open orders), standing, tier, tax id, manager."""
    with open_services(ctx) as services:
        found = accounts_owing(services.store, department)
    if not found:
        click.echo(translate("cli.account.none", lang))
        return
    for owing in found:
        account = owing.account
        record = _account_line(account, lang, owing.owed.total)
        click.echo(
            translate("cli.account.listed", lang).format(
                department=account.department, account_no=account.account_no, record=record
            )
        )


def _account_line(account: CustomerAccount, lang: str, owed: float | None = None) -> str:
    """An account's figures in one line: ``ACME, credit limit 500000.00, opening balance …, owed in all
    …, watch, tier gold`` (what it owes in all when ``owed`` is given)."""
    contact = " ".join(p for p in (account.contact_name, account.contact_mobile) if p)
    where = "".join(
        p
        for p in (
            account.address_province,
            account.address_city,
            account.address_district,
            account.address_detail,
        )
        if p
    )
    address = " ".join(p for p in (where, account.address_postcode) if p)
    extra = "".join(
        translate(f"cli.account.{name}", lang).format(**{name: value})
        for name, value in (
            ("tier", account.tier),
            ("tax_id", account.tax_id),
            ("manager", account.manager),
            ("contact", contact),
            ("address", address),
        )
        if value
    )
    return translate("cli.account.record", lang).format(
        company=account.company,
        credit_limit=f"{account.credit_limit:.2f}",
        outstanding=f"{account.outstanding:.2f}",
        owed="" if owed is None else translate("cli.account.owed", lang).format(owed=f"{owed:.2f}"),
        overdue_days=account.overdue_days,
        status=account.status,
        extra=extra,
    )
