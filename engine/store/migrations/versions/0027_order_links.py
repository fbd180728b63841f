"""The link from an order to the order it is about (``order_links``): an after-sales request and the
retail order its ``original_order:`` field names, read by the index on ``original_id`` instead of a scan
of the orders' JSON data.

Backfilled from the orders' data: for each workflow whose newest published version declares
``original_order:`` (as the engine reads it), every order of that workflow in its department whose data
field holds an order number (digits) is linked to that number. A workflow that declares it only in a
later version is linked when that version is published (the engine relinks a workflow whose declared
field changes).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store.codec import loads
from engine.store.original_orders import link_workflow

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "order_links",
        sa.Column("order_id", Id, sa.ForeignKey("orders.id", name="fk_order_links_order_id_orders")),
        sa.Column("original_id", Id, nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_order_links"),
    )
    op.create_index(
        "ix_order_links_original_id_department_workflow_order_id",
        "order_links",
        ["original_id", "department", "workflow", "order_id"],
    )
    bind = op.get_bind()
    for department, workflow, field in _declared(bind):
        link_workflow(bind, department, workflow, field)


def _declared(bind: sa.Connection) -> list[tuple[str, str, str]]:
    """``(department, workflow, field)`` of each workflow whose newest version declares
    ``original_order:``, read from the stored bundle."""
    versions = sa.table(
        "workflow_versions",
        sa.column("workflow"),
        sa.column("version"),
        sa.column("department"),
        sa.column("bundle", sa.JSON()),
    )
    newest = (
        sa.select(versions.c.workflow, sa.func.max(versions.c.version).label("version"))
        .group_by(versions.c.workflow)
        .subquery()
    )
    rows = bind.execute(
        sa.select(versions.c.department, versions.c.workflow, versions.c.bundle).join(
            newest,
            sa.and_(versions.c.workflow == newest.c.workflow, versions.c.version == newest.c.version),
        )
    ).fetchall()
    found = []
    for department, workflow, stored in rows:
        field = _declared_field(stored)
        if field is not None:
            found.append((str(department), str(workflow), field))
    return found


def _declared_field(stored: object) -> str | None:
    """The ``original_order.field`` of a stored bundle (``{"schema_version", "bundle": {"workflow"}}``),
    or None."""
    document = loads(stored) if isinstance(stored, str | bytes) else stored
    for key in ("bundle", "workflow", "original_order", "field"):
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document if isinstance(document, str) else None


def downgrade() -> None:
    op.drop_index("ix_order_links_original_id_department_workflow_order_id", table_name="order_links")
    op.drop_table("order_links")
