"""The business configuration (`config/argus.yml`), validated on every load."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("ARGUS_HOME", REPO_ROOT / ".argus"))
DEFAULT_CONFIG = REPO_ROOT / "config" / "argus.yml"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

Provider = Literal["tushare", "qmt"]


class ConfigError(ValueError):
    """The configuration file is missing or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrokenRow(_Strict):
    """An upstream row the simulated market corrupts on purpose (quarantine drills)."""

    kind: Literal["negative_price", "high_below_low", "unknown_code"]
    provider: Provider = "tushare"
    trade_date: dt.date
    ts_code: str | None = None


class Discrepancies(_Strict):
    rate: float = Field(0.0, ge=0.0, le=0.5)
    price_noise_max: float = Field(0.02, gt=0.0, le=0.2)


class MarketConfig(_Strict):
    seed: int = 20240101
    securities: int = Field(50, ge=12, le=6000)
    start_date: dt.date
    end_date: dt.date
    as_of: dt.date | None = None
    discrepancies: Discrepancies = Discrepancies()
    broken_rows: tuple[BrokenRow, ...] = ()

    @model_validator(mode="after")
    def _window(self) -> MarketConfig:
        if self.end_date <= self.start_date:
            raise ValueError(f"market.end_date {self.end_date} must be after start_date {self.start_date}")
        if self.as_of is not None and not self.start_date <= self.as_of <= self.end_date:
            raise ValueError(f"market.as_of {self.as_of} must lie within [{self.start_date}, {self.end_date}]")
        return self

    @property
    def published_through(self) -> dt.date:
        return self.as_of or self.end_date


class TushareProvider(_Strict):
    url: str | None = None
    token_env: str = "TUSHARE_TOKEN"


class QmtProvider(_Strict):
    url: str | None = None
    # The agent may require a bearer token; the variable holds it, never the file.
    token_env: str = "QMT_AGENT_TOKEN"


class ProvidersConfig(_Strict):
    tushare: TushareProvider = TushareProvider()
    qmt: QmtProvider = QmtProvider()
    backfill_start: dt.date | None = None

    @property
    def live(self) -> bool:
        return self.tushare.url is not None or self.qmt.url is not None


class ExtractConfig(_Strict):
    retries: int = Field(3, ge=0, le=20)
    retry_delay_seconds: float = Field(5, ge=0)
    qmt_days_per_request: int = Field(60, ge=1, le=5000)


class SourcePriority(_Strict):
    market_data: tuple[Provider, ...]
    financial_data: tuple[Provider, ...]

    @field_validator("market_data", "financial_data")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or len(set(value)) != len(value):
            raise ValueError(f"a priority list names each provider once, got {list(value)}")
        return value


class ConsistencyConfig(_Strict):
    close_rel_tol: float = Field(gt=0, lt=1)
    close_rel_tol_volatile: float = Field(gt=0, lt=1)
    volatile_range: float = Field(gt=0, lt=1)
    min_day_consistency: float = Field(gt=0, le=1)


class AdjustmentConfig(_Strict):
    factor_rel_tol: float = Field(gt=0, lt=1)


class GatesConfig(_Strict):
    max_reject_ratio: float = Field(ge=0, le=1)
    min_close_consistency: float = Field(ge=0, le=1)
    keep_validation_runs: int = Field(30, ge=0)


class ScheduleConfig(_Strict):
    cron: str
    timezone: str


class ExportConfig(_Strict):
    qlib_dir: Path

    def resolved_qlib_dir(self) -> Path:
        return self.qlib_dir if self.qlib_dir.is_absolute() else REPO_ROOT / self.qlib_dir


class ArgusConfig(_Strict):
    market: MarketConfig
    providers: ProvidersConfig = ProvidersConfig()
    extract: ExtractConfig = ExtractConfig()
    source_priority: SourcePriority
    consistency: ConsistencyConfig
    adjustment: AdjustmentConfig
    gates: GatesConfig
    schedule: ScheduleConfig
    export: ExportConfig

    def dbt_vars(self) -> dict:
        """The settings dbt models read through the `argus_setting` macro."""
        return {
            "argus": self.model_dump(
                mode="json", include={"source_priority", "consistency", "adjustment"}
            )
        }

    def with_market(self, **changes) -> ArgusConfig:
        """A copy with market settings replaced (the benchmark and tests scale the market)."""
        market = MarketConfig.model_validate({**self.market.model_dump(), **changes})
        return self.model_copy(update={"market": market})


def load_config(path: Path | str | None = None) -> ArgusConfig:
    path = Path(path or os.environ.get("ARGUS_CONFIG", DEFAULT_CONFIG))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    try:
        return ArgusConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path} is invalid: {problems}") from exc
