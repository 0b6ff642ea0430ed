with

calendar_days as (
    select * from {{ ref('brz_tushare__trade_cal') }}
    where _reject_reason is null
),

-- SSE and SZSE share one calendar; a day is open if the exchanges say so
open_days as (
    select
        cal_date as trade_date,
        min(pretrade_date) as pretrade_date
    from calendar_days
    where is_open
    group by cal_date
),

final as (
    select
        trade_date,
        -- the provider's pretrade_date reaches before the first loaded day
        coalesce(lag(trade_date) over (order by trade_date), pretrade_date) as prev_trade_date,
        lead(trade_date) over (order by trade_date) as next_trade_date,
        row_number() over (order by trade_date)::integer as day_index
    from open_days
)

select * from final
