with

source as (
    select * from {{ source('raw_tushare', 'trade_cal') }}
),

typed as (
    select
        -- keys
        upper(trim(exchange::text)) as exchange,
        {{ yyyymmdd_to_date('cal_date') }} as cal_date,
        -- attributes
        is_open::text in ('1', 'true') as is_open,
        {{ yyyymmdd_to_date('pretrade_date') }} as pretrade_date,
        -- lineage
        _dlt_load_id,
        _dlt_id
    from source
),

deduplicated as (
    select
        typed.*,
        {{ latest_load_rank(['exchange', 'cal_date']) }} as load_rank
    from typed
),

final as (
    select
        -- keys
        exchange,
        cal_date,
        -- attributes
        is_open,
        pretrade_date,
        -- lineage
        _dlt_load_id as _load_id,
        _dlt_id,
        case when exchange is null or cal_date is null then 'null key' end as _reject_reason
    from deduplicated
    where load_rank = 1 or exchange is null or cal_date is null
)

select * from final
