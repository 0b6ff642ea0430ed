with

calendar as (
    select * from {{ ref('slv_trade_calendar') }}
),

final as (
    select
        trade_date,
        prev_trade_date,
        next_trade_date,
        day_index
    from calendar
)

select * from final
