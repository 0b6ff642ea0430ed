"""Write a Qlib / RD-Agent snapshot folder from `gold.qlib_daily_pv`.

The folder is assembled under a temporary name beside its destination and renamed
into place, so a reader never sees half a snapshot and a crash leaves only a
temporary folder that the next export removes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv

from argus.db import ConnectionInfo

# RD-Agent's generate.py writes exactly these columns, in this order, under key "data".
FIELDS = ["$open", "$close", "$high", "$low", "$volume", "$factor"]
INDEX = ["datetime", "instrument"]
HDF_KEY = "data"
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class QlibSnapshot:
    path: Path
    rows: int
    instruments: int
    first_date: dt.date
    last_date: dt.date


def _copy_frame(info: ConnectionInfo, query: str) -> pd.DataFrame:
    buffer = io.BytesIO()
    with info.connect() as conn, conn.cursor().copy(f"copy ({query}) to stdout with (format csv, header)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    return pacsv.read_csv(buffer).to_pandas()


def daily_pv_frame(info: ConnectionInfo) -> pd.DataFrame:
    columns = ", ".join(f'"{c}"' for c in FIELDS)
    frame = _copy_frame(info, f"select instrument, datetime, {columns} from gold.qlib_daily_pv")
    if frame.empty:
        raise ValueError("gold.qlib_daily_pv is empty: nothing to export")
    frame["datetime"] = pd.to_datetime(frame["datetime"])
    # Plain Python strings: pandas 3's string dtype is stored in a form older readers
    # (RD-Agent's pandas, qlib's tools) cannot load.
    frame["instrument"] = frame["instrument"].astype(object)
    frame = frame.set_index(INDEX).sort_index()
    if not frame.index.is_unique:
        raise ValueError("gold.qlib_daily_pv has duplicate (datetime, instrument) rows")
    return frame[FIELDS].astype(np.float32)


def _instrument_spans(frame: pd.DataFrame) -> pd.DataFrame:
    traded = frame[frame["$close"].notna()].reset_index()
    return traded.groupby("instrument")["datetime"].agg(["min", "max"]).sort_index()


def _write_folder(folder: Path, frame: pd.DataFrame, calendar: list[dt.date], meta: dict) -> None:
    (folder / "instruments").mkdir(parents=True)
    (folder / "calendars").mkdir()
    frame.to_hdf(folder / "daily_pv.h5", key=HDF_KEY, mode="w")
    spans = _instrument_spans(frame)
    # Qlib parses these with a tab separator and no header; anything else breaks its loader.
    (folder / "instruments" / "all.txt").write_text(
        "".join(f"{code}\t{lo:%Y-%m-%d}\t{hi:%Y-%m-%d}\n" for code, lo, hi in spans.itertuples())
    )
    (folder / "calendars" / "day.txt").write_text("".join(f"{d:%Y-%m-%d}\n" for d in calendar))
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def _clear_stale_temporaries(root: Path) -> None:
    for leftover in root.glob(f"{TEMP_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_snapshot(info: ConnectionInfo, root: Path, run_ids: list[str], name: str | None = None) -> QlibSnapshot:
    """Export gold into `root/<name>` (default: the last trade date) and point `root/latest` at it."""
    frame = daily_pv_frame(info)
    dates = frame.index.get_level_values("datetime")
    first, last = dates.min().date(), dates.max().date()
    with info.connect() as conn:
        calendar = [
            row[0]
            for row in conn.execute(
                "select trade_date from gold.dim_trade_calendar where trade_date between %s and %s "
                "order by trade_date",
                (first, last),
            )
        ]
    meta = {
        "rows": int(len(frame)),
        "instruments": int(frame.index.get_level_values("instrument").nunique()),
        "first_date": first.isoformat(),
        "last_date": last.isoformat(),
        "trading_days": len(calendar),
        "fields": FIELDS,
        "price_adjustment": "hfq: $close = raw close x $factor (ratio method)",
        "run_ids": sorted(run_ids),
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    root.mkdir(parents=True, exist_ok=True)
    _clear_stale_temporaries(root)
    target = root / (name or last.strftime("%Y%m%d"))
    staging = root / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    _write_folder(staging, frame, calendar, meta)
    if target.exists():
        retired = root / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired)
    else:
        staging.rename(target)
    link = root / f"{TEMP_PREFIX}latest"
    link.symlink_to(target.name)
    os.replace(link, root / "latest")
    return QlibSnapshot(path=target, rows=meta["rows"], instruments=meta["instruments"],
                        first_date=first, last_date=last)
