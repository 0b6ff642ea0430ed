{#- Under the ratio method the factor moves between two traded days only when
    the exchange's reference pre_close differs from the previous traded close
    (an ex-date, possibly inside a suspension). A factor step on a day whose
    closes join up is a wrong factor. -#}
{%- set tolerance = argus_setting('adjustment.factor_rel_tol') -%}

with

traded_days as (
    select
        bars.ts_code,
        bars.trade_date,
        bars.pre_close,
        factors.adj_factor,
        lag(bars.close) over by_security as prev_close,
        lag(factors.adj_factor) over by_security as prev_adj_factor
    from {{ ref('slv_daily_bars_fused') }} as bars
    inner join {{ ref('slv_adj_factor') }} as factors
        on bars.ts_code = factors.ts_code
        and bars.trade_date = factors.trade_date
    where not bars.is_suspended
    window by_security as (partition by bars.ts_code order by bars.trade_date)
),

final as (
    select *
    from traded_days
    where prev_adj_factor is not null
        and abs(adj_factor / prev_adj_factor - 1) > {{ tolerance }}
        and abs(prev_close / pre_close - 1) <= {{ tolerance }}
)

select * from final
