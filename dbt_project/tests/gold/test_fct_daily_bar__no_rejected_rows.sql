{#- A value in gold never comes from a bronze row that was rejected: for each
    quarantined row, no gold field on that key may name its provider as the
    source for the entity it was rejected from. -#}

with

rejected as (
    select provider, entity, ts_code, trade_date
    from {{ ref('qtn_rejected_rows') }}
    where ts_code is not null and trade_date is not null
),

bars as (
    select * from {{ ref('fct_daily_bar') }}
),

final as (
    select
        bars.ts_code,
        bars.trade_date,
        rejected.provider,
        rejected.entity
    from bars
    inner join rejected
        on bars.ts_code = rejected.ts_code
        and bars.trade_date = rejected.trade_date
    where (
        rejected.entity in ('daily', 'daily_bars')
        and rejected.provider in (
            bars.open_source, bars.high_source, bars.low_source, bars.close_source,
            bars.pre_close_source, bars.volume_source, bars.amount_source
        )
    )
    or (rejected.entity = 'adj_factor' and rejected.provider = bars.adj_factor_source)
    or (rejected.entity = 'daily_basic' and rejected.provider in (bars.pe_ttm_source, bars.pb_source))
)

select * from final
