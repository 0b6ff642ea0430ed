"""The Great Expectations file context under `expectations/gx/` and get-or-create helpers.

GX 1.x refuses a second `add()` of anything with the same name, so every object is
fetched first and written only when the code's definition differs from what is stored:
rerunning is idempotent and leaves the committed JSON untouched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import great_expectations as gx
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import AbstractDataContext
from great_expectations.datasource.fluent import PostgresDatasource
from great_expectations.datasource.fluent.sql_datasource import QueryAsset, TableAsset
from great_expectations.exceptions import DataContextError
from great_expectations.expectations.expectation import Expectation

from argus.db import ConnectionInfo

# `project_root_dir` is the folder that holds `gx/`, so the committed config lands in expectations/gx/.
GX_PROJECT_ROOT = Path(__file__).resolve().parent
DATASOURCE_NAME = "argus_warehouse"
BATCH_DEFINITION_NAME = "whole_table"
# Only the placeholder is written to great_expectations.yml; the URL itself is handed to the
# context at run time through `runtime_environment`, so it never reaches disk or os.environ.
CONNECTION_VARIABLE = "ARGUS_GX_CONNECTION"
# The checkpoint only decides pass/fail: under SUMMARY, GX adds up to three more scans per
# map rule (sample values, value counts, sample rows) even when the rule passes, which
# costs more than the rules themselves on million-row tables. Failed rules alone are
# re-validated, against their own batch, with `AssetSpec.detail_format()` (see gates.py).
RESULT_FORMAT = "BOOLEAN_ONLY"
# A failure's report shows at most this many rows (a LIMIT in SQL), whatever the row count.
SAMPLE_ROWS = 5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssetSpec:
    """One relation a layer validates, its key and the rules that apply to it.

    Plain relations become GX table assets. `query` is only for small aggregate assets
    (reject ratio per model, consistency share per day): GX reflects a query asset's
    columns by running the whole query and fetching every row, once per metric family.
    """

    name: str
    relation: str
    key_columns: tuple[str, ...]
    expectations: tuple[Expectation, ...]
    query: str | None = None

    def detail_format(self) -> dict:
        return {
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_ROWS,
            "unexpected_index_column_names": list(self.key_columns),
        }


def open_context(info: ConnectionInfo, project_root: Path = GX_PROJECT_ROOT) -> AbstractDataContext:
    context = gx.get_context(
        mode="file",
        project_root_dir=str(project_root),
        runtime_environment={CONNECTION_VARIABLE: info.sqlalchemy_url()},
    )
    # A gate runs unattended inside the daily flow: no tqdm bars in its logs, no usage pings.
    if context.variables.progress_bars != {"globally": False}:
        context.variables.progress_bars = {"globally": False}
        context.variables.analytics_enabled = False
        context.variables.save()
    return context


def ensure_datasource(context: AbstractDataContext) -> PostgresDatasource:
    try:
        datasource = context.data_sources.get(DATASOURCE_NAME)
    except KeyError:
        return context.data_sources.add_postgres(
            DATASOURCE_NAME, connection_string="${" + CONNECTION_VARIABLE + "}"
        )
    if not isinstance(datasource, PostgresDatasource):
        raise TypeError(f"GX datasource {DATASOURCE_NAME!r} is a {type(datasource).__name__}, expected postgres")
    return datasource


def ensure_batch_definition(datasource: PostgresDatasource, spec: AssetSpec) -> BatchDefinition:
    """The asset's whole-table batch; a table asset needs its relation to exist on first creation.

    GX probes a table asset when it is added (query assets are not probed), so a layer's
    assets are created by the first gate run after dbt built that layer.
    """
    try:
        asset = datasource.get_asset(spec.name)
    except LookupError:
        asset = None
    if asset is not None and not _asset_matches(asset, spec):
        # The relation or query changed in code: GX has no in-place edit of an asset.
        log.info("replacing GX asset %s: its definition changed", spec.name)
        datasource.delete_asset(spec.name)
        asset = None
    if asset is None:
        if spec.query is not None:
            asset = datasource.add_query_asset(spec.name, query=spec.query)
        else:
            schema, table = spec.relation.split(".")
            asset = datasource.add_table_asset(spec.name, table_name=table, schema_name=schema)
    try:
        return asset.get_batch_definition(BATCH_DEFINITION_NAME)
    except KeyError:
        return asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)


def _asset_matches(asset, spec: AssetSpec) -> bool:
    if spec.query is not None:
        return isinstance(asset, QueryAsset) and asset.query == spec.query
    return isinstance(asset, TableAsset) and f"{asset.schema_name}.{asset.table_name}" == spec.relation


def ensure_suite(context: AbstractDataContext, name: str, expectations: tuple[Expectation, ...]):
    try:
        stored = context.suites.get(name)
    except DataContextError:
        stored = None
    # Compared without ids (GX's own equality includes them) so an unchanged suite is never rewritten.
    if stored is not None and _definitions(stored.expectations) == _definitions(expectations):
        return stored
    # add_or_update stamps ids onto these objects; layer modules build fresh ones on every call.
    return context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=list(expectations)))


def _definitions(expectations) -> list[dict]:
    return [{k: v for k, v in e.configuration.to_json_dict().items() if k != "id"} for e in expectations]


def ensure_validation_definition(context: AbstractDataContext, name: str, batch: BatchDefinition, suite):
    try:
        stored = context.validation_definitions.get(name)
    except DataContextError:
        stored = None
    if stored is not None and stored.data.id == batch.id and stored.suite.id == suite.id:
        return stored
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )


def ensure_checkpoint(context: AbstractDataContext, name: str, validation_definitions: list) -> gx.Checkpoint:
    try:
        stored = context.checkpoints.get(name)
    except DataContextError:
        stored = None
    wanted_ids = [definition.id for definition in validation_definitions]
    if (
        stored is not None
        and [definition.id for definition in stored.validation_definitions] == wanted_ids
        and stored.result_format == RESULT_FORMAT
    ):
        return stored
    return context.checkpoints.add_or_update(
        gx.Checkpoint(name=name, validation_definitions=validation_definitions, result_format=RESULT_FORMAT)
    )
