{%- set priority = argus_setting('source_priority.market_data') -%}
{%- set sources = {'qmt': 'qmt', 'tushare': 'tushare'} -%}
{%- set fused_fields = ['open', 'high', 'low', 'close', 'pre_close', 'volume', 'amount'] -%}

with

spine as (
    select * from {{ ref('slv_security_spine') }}
),

tushare as (
    select * from {{ ref('brz_tushare__daily') }}
    where _reject_reason is null
),

qmt as (
    select * from {{ ref('brz_qmt__daily') }}
    where _reject_reason is null and not is_suspended
),

fused as (
    select
        -- keys
        spine.ts_code,
        spine.trade_date,
        spine.is_suspended,
        -- fused fields, each with the provider that won it
        {%- for field in fused_fields %}
        {{ fuse_by_priority(field, sources, priority) | indent(8) }},
        {%- endfor %}
        -- lineage
        qmt._load_id as qmt_load_id,
        tushare._load_id as tushare_load_id
    from spine
    left join tushare
        on spine.ts_code = tushare.ts_code
        and spine.trade_date = tushare.trade_date
    left join qmt
        on spine.ts_code = qmt.ts_code
        and spine.trade_date = qmt.trade_date
),

final as (
    select
        -- keys
        ts_code,
        trade_date,
        is_suspended,
        -- prices and volumes
        {%- for field in fused_fields %}
        {{ field }},
        {%- endfor %}
        -- sources
        {%- for field in fused_fields %}
        {{ field }}_source,
        {%- endfor %}
        -- lineage: the load that delivered the winning close
        case close_source
            when 'qmt' then qmt_load_id
            when 'tushare' then tushare_load_id
        end as _load_id
    from fused
)

select * from final
