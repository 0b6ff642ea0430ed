"""Builds every layer's assets, suites, validation definitions and checkpoint, idempotently.

GX binds a suite to one batch, so a layer's rule set is one suite per validated relation
(`bronze.brz_tushare__daily`, ...), all run by the layer's one checkpoint (`bronze_gate`).

Run `python -m expectations.suites` after changing a rule to refresh the committed JSON
under `expectations/gx/`. It needs a reachable warehouse: GX tests the connection when a
datasource is first added (query assets are not probed, so the tables need not exist yet).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import great_expectations as gx
from great_expectations.data_context import AbstractDataContext

from argus.db import ConnectionInfo, connection_info
from expectations import bronze, gold, silver
from expectations.context import (
    GX_PROJECT_ROOT,
    AssetSpec,
    ensure_batch_definition,
    ensure_checkpoint,
    ensure_datasource,
    ensure_suite,
    ensure_validation_definition,
    open_context,
)

LAYERS: dict[str, Callable[[], list[AssetSpec]]] = {
    "bronze": bronze.assets,
    "silver": silver.assets,
    "gold": gold.assets,
}


def layer_assets(layer: str) -> list[AssetSpec]:
    try:
        return LAYERS[layer]()
    except KeyError:
        raise ValueError(f"unknown layer {layer!r}: expected one of {sorted(LAYERS)}") from None


def checkpoint_name(layer: str) -> str:
    return f"{layer}_gate"


def suite_name(layer: str, spec: AssetSpec) -> str:
    return f"{layer}.{spec.name}"


def build_layer(context: AbstractDataContext, layer: str) -> gx.Checkpoint:
    datasource = ensure_datasource(context)
    definitions = []
    for spec in layer_assets(layer):
        batch = ensure_batch_definition(datasource, spec)
        suite = ensure_suite(context, suite_name(layer, spec), spec.expectations)
        definitions.append(ensure_validation_definition(context, suite_name(layer, spec), batch, suite))
    return ensure_checkpoint(context, checkpoint_name(layer), definitions)


def build_all(info: ConnectionInfo, project_root: Path = GX_PROJECT_ROOT) -> dict[str, gx.Checkpoint]:
    context = open_context(info, project_root)
    return {layer: build_layer(context, layer) for layer in LAYERS}


def expectation_counts() -> dict[str, int]:
    return {layer: sum(len(spec.expectations) for spec in layer_assets(layer)) for layer in LAYERS}


if __name__ == "__main__":
    build_all(connection_info())
    print(", ".join(f"{layer}: {count} expectations" for layer, count in expectation_counts().items()))
