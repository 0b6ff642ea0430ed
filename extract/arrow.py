"""Bring provider payloads to the declared raw column types, column-wise."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# dlt writes one load file per yielded item: fewer, larger tables load much faster.
BATCH_ROWS = 200_000


def conform(data: pd.DataFrame | pa.Table, columns: dict[str, pa.DataType], source: str,
            key: tuple[str, ...] = ()) -> pa.Table:
    """Select and type the declared columns; a missing column or a null key is a contract break."""
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    missing = [name for name in columns if name not in table.column_names]
    if missing:
        raise ValueError(f"{source}: payload lacks columns {missing}; got {table.column_names}")
    arrays, fields = [], []
    for name, dtype in columns.items():
        column = table.column(name)
        if pa.types.is_null(column.type):
            column = pa.nulls(len(table), dtype)
        elif column.type != dtype:
            column = column.cast(dtype)
        if name in key and column.null_count:
            raise ValueError(f"{source}: {column.null_count} rows have no {name} (part of the key {key})")
        arrays.append(column)
        # Key columns are declared NOT NULL so the Arrow schema agrees with dlt's primary-key hints.
        fields.append(pa.field(name, dtype, nullable=name not in key))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def batched(tables: Iterable[pa.Table], rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    pending: list[pa.Table] = []
    size = 0
    for table in tables:
        if table.num_rows:
            pending.append(table)
            size += table.num_rows
        if size >= rows:
            yield pa.concat_tables(pending)
            pending, size = [], 0
    if pending:
        yield pa.concat_tables(pending)


def after(table: pa.Table, column: str, bound: str) -> pa.Table:
    return table.filter(pc.greater(table.column(column), pa.scalar(bound)))
