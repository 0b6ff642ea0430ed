with

source as (
    select * from {{ source('raw_tushare', 'daily') }}
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
        -- prices (CNY)
        open::double precision as open,
        high::double precision as high,
        low::double precision as low,
        close::double precision as close,
        pre_close::double precision as pre_close,
        -- volumes: Tushare counts lots of 100 shares and thousands of CNY
        round(vol::numeric * 100)::bigint as volume,
        amount::double precision * 1000 as amount,
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
        -- prices
        open,
        high,
        low,
        close,
        pre_close,
        -- volumes
        volume,
        amount,
        -- lineage
        _dlt_load_id as _load_id,
        _dlt_id,
        {{ daily_bar_reject_reason('is_known_code') }} as _reject_reason
    from latest
)

select * from final
