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

deduplicated as (
    select
        typed.*,
        {{ latest_load_rank(['ts_code', 'trade_date']) }} as load_rank
    from typed
),

latest as (
    select
        deduplicated.*,
        securities.ts_code is not null as is_known_code
    from deduplicated
    left join securities
        on deduplicated.ts_code = securities.ts_code
    where deduplicated.load_rank = 1
        or deduplicated.ts_code is null
        or deduplicated.trade_date is null
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
