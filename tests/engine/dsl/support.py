"""Shared by the workflow-language tests: the fixture definitions root and its workflows."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"

# The actions the built-in plugins register (pyproject.toml, entry-point group orderloom.actions).
ACTION_NAMES = frozenset(
    {
        "inventory.reserve",
        "inventory.release",
        "inventory.deduct",
        "inventory.restock",
        "payments.capture",
        "payments.refund",
        "payments.refund_goods",
        "payments.authorize_refund",
        "payments.record_failure",
        "customers.register",
        "customers.load_account",
        "logistics.waybill",
        "notifications.notify",
    }
)

# The order-data fields each built-in action returns (plugins/*.py), as ``engine.plugins.writes`` declares
# them; ``tests/engine/dsl/test_validate.py`` checks any declaration the plugins make against this.
ACTION_WRITES: dict[str, frozenset[str]] = {
    "inventory.reserve": frozenset({"stock_reserved"}),
    "inventory.release": frozenset({"stock_reserved"}),
    "inventory.deduct": frozenset({"stock_reserved", "shipped_qty"}),
    "payments.capture": frozenset({"paid_amount", "paid_at", "payment_method", "transaction_ref"}),
    "payments.refund": frozenset({"refunded_amount", "refunded_at", "refund_due"}),
    "payments.refund_goods": frozenset({"refunded_amount", "refunded_at", "refund_authorized"}),
    "payments.authorize_refund": frozenset({"refund_due"}),
    "payments.record_failure": frozenset({"payment_failures"}),
    "customers.register": frozenset(),
    "customers.load_account": frozenset({"account"}),
    "logistics.waybill": frozenset({"carrier", "waybill", "shipments"}),
    "notifications.notify": frozenset(),
}


def fixture_workflows() -> dict[str, Path]:
    """Workflow name -> file among the valid fixtures (what ``discover`` finds under workflows/)."""
    import yaml

    found: dict[str, Path] = {}
    for path in sorted(VALID.glob("*.yaml")):
        name = yaml.safe_load(path.read_text(encoding="utf-8"))["workflow"]
        found[name] = path
    return found
