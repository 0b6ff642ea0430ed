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
from great_expectations.datasource.fluent.sql_datasource import QueryAsset
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
# Every asset exposes this column so one checkpoint-wide result_format can name failing rows
# across tables whose keys differ (ts_code+trade_date, trade_date, ts_code, a model name).
ROW_KEY_COLUMN = "row_key"
# Map expectations fetch at most this many failing rows (a LIMIT in SQL), whatever the row count.
SAMPLE_ROWS = 5
RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": SAMPLE_ROWS,
    "unexpected_index_column_names": [ROW_KEY_COLUMN],
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssetSpec:
    """One relation a layer validates, and the rules that apply to it.

    `relation` is what reports name; `query` defaults to the relation plus its row key.
    Aggregate assets (reject ratio, daily consistency share) pass their own query.
    """

    name: str
    relation: str
    row_key: str
    expectations: tuple[Expectation, ...]
    query: str | None = None

    @property
    def sql(self) -> str:
        if self.query is not None:
            return self.query
        return f"select {self.row_key} as {ROW_KEY_COLUMN}, t.* from {self.relation} as t"


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
    try:
        asset = datasource.get_asset(spec.name)
    except LookupError:
        asset = None
    if isinstance(asset, QueryAsset) and asset.query == spec.sql:
        try:
            return asset.get_batch_definition(BATCH_DEFINITION_NAME)
        except KeyError:
            return asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)
    if asset is not None:
        # The query changed in code: the stored asset is stale and GX has no in-place edit.
        log.info("replacing GX asset %s: its query changed", spec.name)
        datasource.delete_asset(spec.name)
    asset = datasource.add_query_asset(spec.name, query=spec.sql)
    return asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)


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
    return [{k: v for k, v in e._to_normalized_self_dict().items() if k != "id"} for e in expectations]


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
