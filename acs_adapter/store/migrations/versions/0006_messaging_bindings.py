"""SMS/WhatsApp participants: nullable identity and binding columns on participants, the
`bindings` table that keeps an (address, proxy address) pair in one non-closed conversation,
the owned `numbers` and the `address_configurations`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.alter_column("identity", existing_type=sa.String(256), nullable=True)
        batch.add_column(sa.Column("binding_type", sa.String(16)))
        batch.add_column(sa.Column("binding_address", sa.String(256)))
        batch.add_column(sa.Column("binding_proxy_address", sa.String(256)))
    op.create_index("ix_participants_binding_address", "participants", ["binding_address"])
    op.create_table(
        "bindings",
        sa.Column("participant_sid", sa.String(64), nullable=False),
        sa.Column("conversation_sid", sa.String(64), nullable=False),
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("proxy_address", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("participant_sid", name="pk_bindings"),
        sa.ForeignKeyConstraint(
            ["participant_sid"],
            ["participants.sid"],
            name="fk_bindings_participant_sid",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_sid"],
            ["conversations.sid"],
            name="fk_bindings_conversation_sid",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("address", "proxy_address", name="uq_bindings_address_proxy_address"),
    )
    op.create_index("ix_bindings_conversation_sid", "bindings", ["conversation_sid"])
    op.create_table(
        "numbers",
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("channel_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_numbers"),
    )
    op.create_table(
        "address_configurations",
        sa.Column("sid", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("friendly_name", sa.Text()),
        sa.Column("address_country", sa.String(16)),
        sa.Column("auto_creation", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name="pk_address_configurations"),
        sa.UniqueConstraint("address", name="uq_address_configurations_address"),
    )
    op.create_index(
        "ix_address_configurations_type_created_at_sid",
        "address_configurations",
        ["type", "created_at", "sid"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_address_configurations_type_created_at_sid", table_name="address_configurations"
    )
    op.drop_table("address_configurations")
    op.drop_table("numbers")
    op.drop_index("ix_bindings_conversation_sid", table_name="bindings")
    op.drop_table("bindings")
    op.drop_index("ix_participants_binding_address", table_name="participants")
    op.execute(sa.text("DELETE FROM participants WHERE identity IS NULL"))
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("binding_proxy_address")
        batch.drop_column("binding_address")
        batch.drop_column("binding_type")
        batch.alter_column("identity", existing_type=sa.String(256), nullable=False)
