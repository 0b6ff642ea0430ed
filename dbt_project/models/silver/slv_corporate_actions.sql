with

dividends as (
    select * from {{ ref('brz_tushare__dividend') }}
    where _reject_reason is null
        and is_implemented
        and ex_date is not null
),

-- two implemented plans (e.g. a final and a special dividend) can share an
-- ex-date; the exchange applies them together, so they are summed
final as (
    select
        -- keys
        ts_code,
        ex_date,
        -- per-share distribution
        sum(coalesce(cash_div_tax, 0)) as cash_div_tax,
        sum(coalesce(stk_bo_rate, 0)) as stk_bo_rate,
        sum(coalesce(stk_co_rate, 0)) as stk_co_rate,
        sum(coalesce(stk_div, coalesce(stk_bo_rate, 0) + coalesce(stk_co_rate, 0))) as stk_div,
        -- dates
        max(end_date) as end_date,
        max(record_date) as record_date,
        max(pay_date) as pay_date,
        count(*)::integer as plan_count,
        -- lineage
        max(_load_id) as _load_id
    from dividends
    group by ts_code, ex_date
)

select * from final
