with

securities as (
    select * from {{ ref('brz_tushare__stock_basic') }}
    where _reject_reason is null
),

calendar as (
    select * from {{ ref('slv_trade_calendar') }}
),

tushare_bar_days as (
    select ts_code, trade_date from {{ ref('brz_tushare__daily') }}
    where _reject_reason is null
),

-- a suspension notice is not a bar, so QMT's suspend_flag rows do not count
qmt_bar_days as (
    select ts_code, trade_date from {{ ref('brz_qmt__daily') }}
    where _reject_reason is null and not is_suspended
),

valid_bars as (
    select * from tushare_bar_days
    union
    select * from qmt_bar_days
),

-- taken from the providers' days rather than valid_bars, so valid_bars is
-- read once and its de-duplicating sort on (ts_code, trade_date) feeds the
-- join in final directly instead of being materialized and sorted again
loaded_window as (
    select
        min(trade_date) as first_loaded_date,
        max(trade_date) as last_loaded_date
    from (
        select trade_date from tushare_bar_days
        union all
        select trade_date from qmt_bar_days
    ) as bar_days
),

-- Tushare's delist_date is the first day the security is no longer listed,
-- so the spine stops the open day before it
listed_days as (
    select
        securities.ts_code,
        calendar.trade_date
    from securities
    cross join loaded_window
    inner join calendar
        on calendar.trade_date
            between greatest(securities.list_date, loaded_window.first_loaded_date)
            and loaded_window.last_loaded_date
        and (securities.delist_date is null or calendar.trade_date < securities.delist_date)
),

final as (
    select
        -- keys
        listed_days.ts_code,
        listed_days.trade_date,
        -- status
        valid_bars.ts_code is not null as has_bar,
        valid_bars.ts_code is null as is_suspended
    from listed_days
    left join valid_bars
        on listed_days.ts_code = valid_bars.ts_code
        and listed_days.trade_date = valid_bars.trade_date
)

select * from final
