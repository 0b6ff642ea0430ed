{#- Every accepted bar falls on an open day. QMT stamps bars with 00:00
    Shanghai time, so reading `time` in UTC would shift each bar onto the
    previous calendar day — mostly a closed day, which this catches. -#}

with

bars as (
    select 'tushare' as provider, ts_code, trade_date
    from {{ ref('brz_tushare__daily') }}
    where _reject_reason is null
    union all
    select 'qmt' as provider, ts_code, trade_date
    from {{ ref('brz_qmt__daily') }}
    where _reject_reason is null
),

open_days as (
    select cal_date
    from {{ ref('brz_tushare__trade_cal') }}
    where _reject_reason is null and is_open
    group by cal_date
),

final as (
    select bars.*
    from bars
    left join open_days
        on bars.trade_date = open_days.cal_date
    where open_days.cal_date is null
)

select * from final
