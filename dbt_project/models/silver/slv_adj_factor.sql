{#- Ratio method: F_t = F_{t-1} * close_{t-1} / pre_close_t over traded days,
    computed set-based as exp of a running sum of log ratios (L_t), then put on
    Tushare's level so a derived stretch continues Tushare's series instead of
    restarting at 1. -#}
{#- Every join below is a merge join over the whole table; a parallel plan
    makes each worker sort the full inner tables again, which on this 2-core
    box is slower than one process doing it once. -#}
{{ config(pre_hook="set local max_parallel_workers_per_gather = 0") }}
{%- set priority = argus_setting('source_priority.financial_data') -%}
{#- Providers whose own close and pre_close can give a day's ratio. -#}
{%- set ratio_sources = ['tushare', 'qmt'] -%}

with

-- slv_daily_bars_fused holds exactly the spine's rows (it is the spine left
-- joined to the bars), so it serves as the spine here and saves a join
fused as (
    select * from {{ ref('slv_daily_bars_fused') }}
),

tushare_factors as (
    select * from {{ ref('brz_tushare__adj_factor') }}
    where _reject_reason is null
),

tushare_bars as (
    select * from {{ ref('brz_tushare__daily') }}
    where _reject_reason is null
),

qmt_bars as (
    select * from {{ ref('brz_qmt__daily') }}
    where _reject_reason is null and not is_suspended
),

-- every spine day with each provider's own close and pre_close next to the
-- fused ones, so all ratios come out of one window pass below instead of a
-- current-bar and a previous-bar join per provider
days as (
    select
        fused.ts_code,
        fused.trade_date,
        fused.is_suspended,
        fused.close,
        fused.pre_close,
        fused._load_id as bar_load_id,
        {%- for provider in ratio_sources %}
        {{ provider }}_bars.close as {{ provider }}_close,
        {{ provider }}_bars.pre_close as {{ provider }}_pre_close,
        {%- endfor %}
        tushare_factors.adj_factor as tushare_factor,
        tushare_factors._load_id as factor_load_id
    from fused
    {%- for provider in ratio_sources %}
    left join {{ provider }}_bars
        on fused.ts_code = {{ provider }}_bars.ts_code
        and fused.trade_date = {{ provider }}_bars.trade_date
    {%- endfor %}
    left join tushare_factors
        on fused.ts_code = tushare_factors.ts_code
        and fused.trade_date = tushare_factors.trade_date
),

{#- A ratio is taken from one provider's own close and pre_close where it has
    both days: mixing one provider's close with another's pre_close would turn
    every cross-source discrepancy into a permanent step in the factor. A
    provider's close is null on a day it has no valid bar, so its lag is null
    unless it has the previous traded day too. -#}
-- lag over traded days only: partitioning by is_suspended puts the traded days
-- of a security in one partition, so close_{t-1} is the previous traded close
-- and a suspension in between is skipped; the first traded day has no ratio.
-- Suspended days add nothing to the running sum, so they get no ratio.
log_ratios as (
    select
        days.*,
        case when not is_suspended then ln(coalesce(
            {%- for provider in priority if provider in ratio_sources %}
            lag({{ provider }}_close) over traded_days / nullif({{ provider }}_pre_close, 0),
            {%- endfor %}
            lag(close) over traded_days / nullif(pre_close, 0)
        )) end as log_ratio
    from days
    window traded_days as (partition by ts_code, is_suspended order by trade_date)
),

-- suspended days add 0 to the running sum, so they carry the factor forward
log_levels as (
    select
        ts_code,
        trade_date,
        tushare_factor,
        coalesce(factor_load_id, case when not is_suspended then bar_load_id end) as _load_id,
        sum(coalesce(log_ratio, 0)) over by_date as log_level,
        count(tushare_factor) over by_date as tushare_group
    from log_ratios
    window by_date as (
        partition by ts_code
        order by trade_date
        rows between unbounded preceding and current row
    )
),

-- each tushare_group starts at a day Tushare has a factor for and runs up to
-- the next one, so that day is the latest earlier anchor for the whole group;
-- days before the first Tushare value (group 0) anchor on the first later one,
-- the day that opens group 1. Both windows partition by ts_code first, so they
-- share one sort instead of re-sorting by "tushare_factor is null".
anchors as (
    select
        log_levels.*,
        max(tushare_factor) over by_group as earlier_anchor_factor,
        max(case when tushare_factor is not null then log_level end) over by_group as earlier_anchor_level,
        max(case when tushare_group = 1 then tushare_factor end) over by_security as later_anchor_factor,
        max(case when tushare_group = 1 and tushare_factor is not null then log_level end)
            over by_security as later_anchor_level
    from log_levels
    window
        by_group as (partition by ts_code, tushare_group),
        by_security as (partition by ts_code)
),

final as (
    select
        -- keys
        ts_code,
        trade_date,
        -- adjustment
        case
            when tushare_factor is not null then tushare_factor
            when tushare_group > 0 then earlier_anchor_factor * exp(log_level - earlier_anchor_level)
            when later_anchor_factor is not null then later_anchor_factor * exp(log_level - later_anchor_level)
            else exp(log_level)
        end as adj_factor,
        case when tushare_factor is not null then 'tushare' else 'derived' end as adj_factor_source,
        -- lineage
        _load_id
    from anchors
)

select * from final
