with

securities as (
    select * from {{ ref('brz_tushare__stock_basic') }}
    where _reject_reason is null
),

final as (
    select
        -- keys
        ts_code,
        -- attributes
        symbol,
        name,
        exchange,
        board,
        market,
        industry,
        is_st,
        -- exchange rules, not business settings: ST on the main board ±5%,
        -- ChiNext and STAR ±20%, BSE ±30%, otherwise ±10%
        case
            when board = 'bse' then 0.30
            when board in ('chinext', 'star') then 0.20
            when is_st then 0.05
            else 0.10
        end::double precision as price_limit_pct,
        list_status,
        list_date,
        delist_date,
        -- Qlib spells codes exchange-first: SH600519
        split_part(ts_code, '.', 2) || split_part(ts_code, '.', 1) as qlib_instrument
    from securities
)

select * from final
