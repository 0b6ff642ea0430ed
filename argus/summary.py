"""What a run did: rows per layer, gates, snapshot and time per stage."""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql

from argus.db import ConnectionInfo

LAYERS = ("raw_tushare", "raw_qmt", "bronze", "silver", "gold", "quarantine")


def layer_row_counts(info: ConnectionInfo) -> dict[str, dict[str, int]]:
    """Exact row counts of every table (not view) per layer; dlt's bookkeeping tables are left out."""
    with info.connect() as conn:
        tables = conn.execute(
            """select n.nspname, c.relname
                 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relispartition
                  and c.relname not like '\\_dlt\\_%%'
                order by 1, 2""",
            (list(LAYERS),),
        ).fetchall()
        counts: dict[str, dict[str, int]] = {layer: {} for layer in LAYERS}
        for schema, table in tables:
            query = sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            counts[schema][table] = conn.execute(query).fetchone()[0]
    return counts


@dataclass
class RunSummary:
    run_id: str
    as_of: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    extracted_rows: dict[str, int] = field(default_factory=dict)
    gates: dict[str, str] = field(default_factory=dict)
    layer_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    snapshot: str | None = None
    snapshot_rows: int = 0

    def render(self) -> str:
        lines = [f"Argus run {self.run_id} — market as of {self.as_of}", "", "rows per layer"]
        for layer, tables in self.layer_rows.items():
            if tables:
                detail = ", ".join(f"{t} {n:,}" for t, n in tables.items())
                lines.append(f"  {layer:<12} {sum(tables.values()):>12,}  ({detail})")
        lines.append("")
        lines.append("extracted this run  " + ", ".join(f"{k} {v:,}" for k, v in self.extracted_rows.items()))
        lines.append("gates              " + ", ".join(f"{k}: {v}" for k, v in self.gates.items()))
        lines.append(f"snapshot           {self.snapshot}")
        lines.append("")
        lines.append("seconds per stage")
        for stage, seconds in self.stage_seconds.items():
            lines.append(f"  {stage:<16} {seconds:8.1f}")
        lines.append(f"  {'total':<16} {sum(self.stage_seconds.values()):8.1f}")
        return "\n".join(lines)
