{#- hfq prices join up across ex-dates: from one traded day to the next, the
    hfq close moves exactly as the day's real return close_t / pre_close_t.
    Day pairs where the providers' closes disagree beyond the factor tolerance
    are left out: there the "previous close" itself is in doubt and
    slv_close_consistency is the check that reports it. -#}
{%- set tolerance = argus_setting('adjustment.factor_rel_tol') -%}

with

traded_days as (
    select
        ts_code,
        trade_date,
        close,
        pre_close,
        close_hfq,
        lag(trade_date) over by_security as prev_traded_date,
        lag(close_hfq) over by_security as prev_close_hfq
    from {{ ref('fct_daily_bar') }}
    where not is_suspended
    window by_security as (partition by ts_code order by trade_date)
),

disputed_days as (
    select ts_code, trade_date
    from {{ ref('slv_close_consistency') }}
    where rel_diff > {{ tolerance }}
),

final as (
    select traded_days.*
    from traded_days
    left join disputed_days as disputed_today
        on traded_days.ts_code = disputed_today.ts_code
        and traded_days.trade_date = disputed_today.trade_date
    left join disputed_days as disputed_before
        on traded_days.ts_code = disputed_before.ts_code
        and traded_days.prev_traded_date = disputed_before.trade_date
    where traded_days.prev_close_hfq is not null
        and disputed_today.ts_code is null
        and disputed_before.ts_code is null
        and abs((traded_days.close_hfq / traded_days.prev_close_hfq) / (traded_days.close / traded_days.pre_close) - 1)
            > {{ tolerance }}
)

select * from final
