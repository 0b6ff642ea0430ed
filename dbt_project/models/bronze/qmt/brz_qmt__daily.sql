with

source as (
    select * from {{ source('raw_qmt', 'daily_bars') }}
),

securities as (
    select ts_code from {{ ref('brz_tushare__stock_basic') }}
    where _reject_reason is null
),

typed as (
    select
        -- keys: QMT stamps a bar with 00:00 Asia/Shanghai of its trade date
        {{ normalise_ts_code('stock_code') }} as ts_code,
        (to_timestamp(time::double precision / 1000) at time zone 'Asia/Shanghai')::date as trade_date,
        -- a suspension notice repeats the last close with zero volume: not a bar
        coalesce(suspend_flag::integer = 1, false) as is_suspended,
        -- prices (CNY)
        open::double precision as open,
        high::double precision as high,
        low::double precision as low,
        close::double precision as close,
        pre_close::double precision as pre_close,
        -- volumes: QMT counts lots of 100 shares, amounts in CNY
        round(volume::numeric * 100)::bigint as volume,
        amount::double precision as amount,
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
        is_suspended,
        -- prices: none on a suspended day
        case when not is_suspended then open end as open,
        case when not is_suspended then high end as high,
        case when not is_suspended then low end as low,
        case when not is_suspended then close end as close,
        case when not is_suspended then pre_close end as pre_close,
        -- volumes
        case when not is_suspended then volume end as volume,
        case when not is_suspended then amount end as amount,
        -- lineage
        _dlt_load_id as _load_id,
        _dlt_id,
        {{ daily_bar_reject_reason('is_known_code', suspended='is_suspended') }} as _reject_reason
    from latest
)

select * from final
