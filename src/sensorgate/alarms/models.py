"""Tables for alarm rules, the state of each rule on each series, and the alarms raised."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

alarm_rules = sa.Table(
    "alarm_rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("metric", sa.String(40), nullable=False),
    sa.Column("condition", sa.String(8), nullable=False),
    # In the metric's canonical unit. above/below use `threshold`; outside uses `low` and `high`.
    sa.Column("threshold", sa.Float, nullable=True),
    sa.Column("low", sa.Float, nullable=True),
    sa.Column("high", sa.Float, nullable=True),
    sa.Column("hold_seconds", sa.Integer, nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    # What the rule watches: one sensor, one device group, or (both null) the whole workspace.
    sa.Column("sensor_id", sa.Integer, sa.ForeignKey("sensors.id", ondelete="CASCADE"), nullable=True),
    sa.Column("device_group_id", sa.Integer, sa.ForeignKey("device_groups.id", ondelete="CASCADE"), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("condition IN ('above', 'below', 'outside')", name="condition"),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
)

# Where each rule stands on each series it watches, so evaluation continues across batches.
alarm_states = sa.Table(
    "alarm_states",
    metadata,
    sa.Column("rule_id", sa.Integer, sa.ForeignKey("alarm_rules.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("breach_since", sa.BigInteger, nullable=True),  # epoch ms the condition became true
    sa.Column("last_t", sa.BigInteger, nullable=False),  # newest point evaluated
    sa.Column("event_id", sa.Integer, nullable=True),  # the alarm raised and not yet resolved
)

alarm_events = sa.Table(
    "alarm_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rule_id", sa.Integer, sa.ForeignKey("alarm_rules.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sensor_id", sa.Integer, sa.ForeignKey("sensors.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("raised_at", sa.BigInteger, nullable=False, index=True),  # epoch ms of the point that raised it
    sa.Column("resolved_at", sa.BigInteger, nullable=True),
    sa.Column("value", sa.Float, nullable=False),  # the value that raised it
)
