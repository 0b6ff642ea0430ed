with

source as (
    select * from {{ source('raw_tushare', 'dividend') }}
),

securities as (
    select ts_code from {{ ref('brz_tushare__stock_basic') }}
    where _reject_reason is null
),

typed as (
    select
        -- keys
        {{ normalise_ts_code('ts_code') }} as ts_code,
        {{ yyyymmdd_to_date('end_date') }} as end_date,
        trim(div_proc::text) as div_proc,
        -- dates
        {{ yyyymmdd_to_date('ann_date') }} as ann_date,
        {{ yyyymmdd_to_date('record_date') }} as record_date,
        {{ yyyymmdd_to_date('ex_date') }} as ex_date,
        {{ yyyymmdd_to_date('pay_date') }} as pay_date,
        {{ yyyymmdd_to_date('imp_ann_date') }} as imp_ann_date,
        -- per-share distribution
        stk_div::double precision as stk_div,
        stk_bo_rate::double precision as stk_bo_rate,
        stk_co_rate::double precision as stk_co_rate,
        cash_div_tax::double precision as cash_div_tax,
        -- lineage
        _dlt_load_id,
        _dlt_id
    from source
),

latest as (
    {{ latest_known_rows('typed', ['ts_code', 'end_date', 'div_proc']) }}
),

final as (
    select
        -- keys
        ts_code,
        end_date,
        div_proc,
        -- only 实施 (implemented) plans are final; earlier stages may still change
        div_proc = '实施' as is_implemented,
        -- dates
        ann_date,
        record_date,
        ex_date,
        pay_date,
        imp_ann_date,
        -- per-share distribution
        stk_div,
        stk_bo_rate,
        stk_co_rate,
        cash_div_tax,
        -- lineage
        _dlt_load_id as _load_id,
        _dlt_id,
        case
            when ts_code is null or end_date is null or div_proc is null then 'null key'
            when not is_known_code then 'unknown ts_code'
            when least(stk_div, stk_bo_rate, stk_co_rate, cash_div_tax) < 0 then 'negative distribution'
        end as _reject_reason
    from latest
)

select * from final
