with

source as (
    select * from {{ source('raw_tushare', 'adj_factor') }}
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
        -- adjustment
        adj_factor::double precision as adj_factor,
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
        -- adjustment
        adj_factor,
        -- lineage
        _dlt_load_id as _load_id,
        _dlt_id,
        case
            when ts_code is null or trade_date is null then 'null key'
            when not is_known_code then 'unknown ts_code'
            when adj_factor is null then 'missing adj_factor'
            when adj_factor <= 0 then 'non-positive adj_factor'
        end as _reject_reason
    from latest
)

select * from final
