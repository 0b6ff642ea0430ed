with

source as (
    select * from {{ source('raw_tushare', 'stock_basic') }}
),

typed as (
    select
        -- keys
        {{ normalise_ts_code('ts_code') }} as ts_code,
        -- attributes
        symbol::text as symbol,
        name::text as name,
        area::text as area,
        industry::text as industry,
        market::text as market,
        exchange::text as exchange,
        list_status::text as list_status,
        {{ yyyymmdd_to_date('list_date') }} as list_date,
        {{ yyyymmdd_to_date('delist_date') }} as delist_date,
        -- lineage
        _dlt_load_id,
        _dlt_id
    from source
),

deduplicated as (
    select
        typed.*,
        {{ latest_load_rank(['ts_code']) }} as load_rank
    from typed
),

final as (
    select
        -- keys
        ts_code,
        -- attributes
        symbol,
        name,
        area,
        industry,
        market,
        exchange,
        {{ board_from_ts_code('ts_code') }} as board,
        -- the ST / *ST prefix is how the exchange marks special treatment
        coalesce(name ~ '^(\*|S\*?)?ST', false) as is_st,
        list_status,
        list_date,
        delist_date,
        -- lineage
        _dlt_load_id as _load_id,
        _dlt_id,
        case when ts_code is null then 'null key' end as _reject_reason
    from deduplicated
    where load_rank = 1 or ts_code is null
)

select * from final
