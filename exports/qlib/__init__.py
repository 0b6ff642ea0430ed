"""Qlib / RD-Agent snapshots of the gold layer."""

from exports.qlib.writer import QlibSnapshot, write_snapshot

__all__ = ["QlibSnapshot", "write_snapshot"]
