{{ config(materialized='view') }}

with

bars as (
    select * from {{ ref('fct_daily_bar') }}
),

securities as (
    select * from {{ ref('dim_security') }}
),

-- Qlib works in hfq prices with volume in "adjusted shares" (shares / factor),
-- so price × volume stays the traded amount; a suspended day is a row of nulls
final as (
    select
        securities.qlib_instrument as "instrument",
        bars.trade_date as "datetime",
        bars.open_hfq as "$open",
        bars.close_hfq as "$close",
        bars.high_hfq as "$high",
        bars.low_hfq as "$low",
        bars.volume / bars.adj_factor as "$volume",
        case when not bars.is_suspended then bars.adj_factor end as "$factor"
    from bars
    inner join securities
        on bars.ts_code = securities.ts_code
)

select * from final
