with

source as (
    select * from {{ source('raw_tushare', 'daily_basic') }}
),

securities as (
    select ts_code from {{ ref('brz_tushare__stock_basic') }}
    where _reject_reason is null
),

typed as (
    select
        -- keys
        {{ normalise_ts_code('ts_code') }} as ts_code,
        {{ yyyymmdd_to_date('trade_date') }} as trade_date,
        -- valuation
        pe_ttm::double precision as pe_ttm,
        pb::double precision as pb,
        turnover_rate::double precision as turnover_rate,
        -- share capital: Tushare counts 万股 and 万元
        total_share::double precision * 1e4 as total_share,
        float_share::double precision * 1e4 as float_share,
        free_share::double precision * 1e4 as free_share,
        total_mv::double precision * 1e4 as total_mv,
        circ_mv::double precision * 1e4 as circ_mv,
        -- lineage
        _dlt_load_id,
        _dlt_id
    from source
),

latest as (
    {{ latest_known_rows('typed', ['ts_code', 'trade_date']) }}
),

final as (
    select
        -- keys
        ts_code,
        trade_date,
        -- valuation
        pe_ttm,
        pb,
        turnover_rate,
        -- share capital (shares, CNY)
        total_share,
        float_share,
        free_share,
        total_mv,
        circ_mv,
        -- lineage
        _dlt_load_id as _load_id,
        _dlt_id,
        case
            when ts_code is null or trade_date is null then 'null key'
            when not is_known_code then 'unknown ts_code'
            when least(total_share, float_share, free_share, total_mv, circ_mv) < 0
                then 'negative share count or market value'
        end as _reject_reason
    from latest
)

select * from final
