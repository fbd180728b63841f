"""The studio (工作室): drafts of definition files kept in the database with their history, the texts
published from it, what each version was published with (its note, who drafted and who approved it,
the text of every file in it), a department's settings (four eyes), and the record of what admins did.

A version may now hold the same content as an older one (a rollback publishes an earlier text as a new
number), so the content hash is indexed, no longer unique per workflow; publishing what the newest
version already holds still keeps its number.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("workflow_versions") as batch:
        batch.drop_constraint("uq_workflow_versions_workflow_content_hash", type_="unique")
        batch.add_column(sa.Column("note", sa.Text()))
        batch.add_column(sa.Column("drafted_by", sa.String(200)))
        batch.add_column(sa.Column("approved_by", sa.String(200)))
        batch.add_column(sa.Column("sources", sa.JSON()))
        batch.create_index("ix_workflow_versions_workflow_content_hash", ["workflow", "content_hash"])
    op.create_table(
        "definition_texts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("path", sa.String(400), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Index("ix_definition_texts_path_id", "path", "id"),
    )
    op.create_table(
        "drafts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("path", sa.String(400), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("base_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("requested_by", sa.String(200)),
        sa.UniqueConstraint("department", "path", name="uq_drafts_department_path"),
    )
    op.create_table(
        "draft_revisions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("draft_id", Id, sa.ForeignKey("drafts.id", name="fk_draft_revisions_draft_id_drafts"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Index("ix_draft_revisions_draft_id", "draft_id"),
    )
    op.create_table(
        "department_settings",
        sa.Column("department", sa.String(100), primary_key=True),
        sa.Column("four_eyes", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "studio_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Index("ix_studio_events_department_id", "department", "id"),
    )


def downgrade() -> None:
    op.drop_table("studio_events")
    op.drop_table("department_settings")
    op.drop_table("draft_revisions")
    op.drop_table("drafts")
    op.drop_table("definition_texts")
    with op.batch_alter_table("workflow_versions") as batch:
        batch.drop_index("ix_workflow_versions_workflow_content_hash")
        batch.drop_column("sources")
        batch.drop_column("approved_by")
        batch.drop_column("drafted_by")
        batch.drop_column("note")
        batch.create_unique_constraint(
            "uq_workflow_versions_workflow_content_hash", ["workflow", "content_hash"]
        )
