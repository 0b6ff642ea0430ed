{{ config(severity='warn') }}

{#- On an ex-date the exchange sets pre_close = (close_prev − D) / (1 + S + T).
    Tushare's pre_close disagreeing with the implemented plan by more than a
    price tick means the plan or the bar is wrong, and with it the factor.
    Rights issues are not in the dividend feed, hence a warning, not an error. -#}
{%- set tick = 0.01 -%}

with

actions as (
    select * from {{ ref('slv_corporate_actions') }}
),

traded_days as (
    select
        ts_code,
        trade_date,
        pre_close,
        lag(close) over (partition by ts_code order by trade_date) as prev_close
    from {{ ref('brz_tushare__daily') }}
    where _reject_reason is null
),

final as (
    select
        actions.ts_code,
        actions.ex_date,
        traded_days.prev_close,
        traded_days.pre_close,
        (traded_days.prev_close - actions.cash_div_tax)
            / (1 + actions.stk_bo_rate + actions.stk_co_rate) as expected_pre_close
    from actions
    inner join traded_days
        on actions.ts_code = traded_days.ts_code
        and actions.ex_date = traded_days.trade_date
    where traded_days.prev_close is not null
        and abs(
            traded_days.pre_close
            - (traded_days.prev_close - actions.cash_div_tax) / (1 + actions.stk_bo_rate + actions.stk_co_rate)
        ) > {{ tick }}
)

select * from final
