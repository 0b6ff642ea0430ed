{{ config(post_hook="{{ partition_daily_fact(this, 'trade_date') }}") }}

with

bars as (
    select * from {{ ref('slv_daily_bars_fused') }}
),

factors as (
    select * from {{ ref('slv_adj_factor') }}
),

valuations as (
    select * from {{ ref('slv_valuation_daily') }}
),

final as (
    select
        -- keys
        bars.ts_code,
        bars.trade_date,
        bars.is_suspended,
        -- prices (CNY, unadjusted)
        bars.open,
        bars.high,
        bars.low,
        bars.close,
        bars.pre_close,
        -- volumes (shares, CNY)
        bars.volume,
        bars.amount,
        -- adjustment (ratio method) and hfq prices, stable as new ex-dates arrive
        factors.adj_factor,
        factors.adj_factor_source,
        bars.open * factors.adj_factor as open_hfq,
        bars.high * factors.adj_factor as high_hfq,
        bars.low * factors.adj_factor as low_hfq,
        bars.close * factors.adj_factor as close_hfq,
        -- valuation
        valuations.pe_ttm,
        valuations.pb,
        -- sources
        bars.open_source,
        bars.high_source,
        bars.low_source,
        bars.close_source,
        bars.pre_close_source,
        bars.volume_source,
        bars.amount_source,
        valuations.pe_ttm_source,
        valuations.pb_source,
        -- lineage: a suspended day has no bar, its row comes from the factor's load
        coalesce(bars._load_id, factors._load_id) as _load_id
    from bars
    inner join factors
        on bars.ts_code = factors.ts_code
        and bars.trade_date = factors.trade_date
    left join valuations
        on bars.ts_code = valuations.ts_code
        and bars.trade_date = valuations.trade_date
)

select * from final
