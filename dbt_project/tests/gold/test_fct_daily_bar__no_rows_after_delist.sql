{#- Delisted securities stay in gold (dropping them biases every backtest) but
    only while listed: Tushare's delist_date is the first day off the
    exchange, so no row may fall on or after it. -#}

with

bars as (
    select * from {{ ref('fct_daily_bar') }}
),

securities as (
    select * from {{ ref('dim_security') }}
    where delist_date is not null
),

final as (
    select
        bars.ts_code,
        bars.trade_date,
        securities.delist_date
    from bars
    inner join securities
        on bars.ts_code = securities.ts_code
    where bars.trade_date >= securities.delist_date
)

select * from final
