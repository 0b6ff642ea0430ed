{%- set close_rel_tol = argus_setting('consistency.close_rel_tol') -%}
{%- set close_rel_tol_volatile = argus_setting('consistency.close_rel_tol_volatile') -%}
{%- set volatile_range = argus_setting('consistency.volatile_range') -%}
{%- set min_day_consistency = argus_setting('consistency.min_day_consistency') -%}

with

tushare as (
    select * from {{ ref('brz_tushare__daily') }}
    where _reject_reason is null
),

qmt as (
    select * from {{ ref('brz_qmt__daily') }}
    where _reject_reason is null and not is_suspended
),

fused as (
    select * from {{ ref('slv_daily_bars_fused') }}
    where not is_suspended
),

-- on a day the whole market swings, providers' closes legitimately drift
-- further apart (auction timing, late corrections), so the tolerance widens
market_ranges as (
    select
        trade_date,
        -- numeric: a double average summed in parallel differs in its last digits from run to run
        avg(((high - low) / nullif(pre_close, 0))::numeric)::double precision as market_avg_range
    from fused
    group by trade_date
),

pairs as (
    select
        tushare.ts_code,
        tushare.trade_date,
        qmt.close as close_qmt,
        tushare.close as close_tushare,
        abs(qmt.close / tushare.close - 1) as rel_diff
    from tushare
    inner join qmt
        on tushare.ts_code = qmt.ts_code
        and tushare.trade_date = qmt.trade_date
),

judged as (
    select
        pairs.*,
        market_ranges.market_avg_range,
        coalesce(market_ranges.market_avg_range > {{ volatile_range }}, false) as is_volatile_day,
        case
            when market_ranges.market_avg_range > {{ volatile_range }} then {{ close_rel_tol_volatile }}
            else {{ close_rel_tol }}
        end::double precision as tolerance
    from pairs
    left join market_ranges
        on pairs.trade_date = market_ranges.trade_date
),

final as (
    select
        -- keys
        ts_code,
        trade_date,
        -- closes compared
        close_qmt,
        close_tushare,
        rel_diff,
        -- verdict
        market_avg_range,
        is_volatile_day,
        tolerance,
        rel_diff <= tolerance as is_consistent,
        avg(case when rel_diff <= tolerance then 1.0 else 0.0 end)
            over (partition by trade_date)::double precision as day_consistency_ratio,
        avg(case when rel_diff <= tolerance then 1.0 else 0.0 end)
            over (partition by trade_date) < {{ min_day_consistency }} as is_day_held_back
    from judged
)

select * from final
