{{ config(materialized='view') }}

{#- qfq history changes whenever a new ex-date arrives, so it is derived on
    read from raw prices and the factor instead of being stored. -#}

with

bars as (
    select * from {{ ref('fct_daily_bar') }}
),

anchored as (
    select
        bars.*,
        last_value(adj_factor) over by_security as anchor_factor,
        last_value(trade_date) over by_security as anchor_date
    from bars
    window by_security as (
        partition by ts_code
        order by trade_date
        rows between unbounded preceding and unbounded following
    )
),

final as (
    select
        -- keys
        ts_code,
        trade_date,
        -- qfq prices, on the level of the latest day
        open * adj_factor / anchor_factor as open_qfq,
        high * adj_factor / anchor_factor as high_qfq,
        low * adj_factor / anchor_factor as low_qfq,
        close * adj_factor / anchor_factor as close_qfq,
        -- adjustment
        adj_factor,
        anchor_factor,
        anchor_date
    from anchored
)

select * from final
