{#- Every bronze model keeps its rejected rows in place with a reason; this
    collects them in one table so they can be counted, alerted on and
    replayed. The payload is the whole bronze row, whose `_dlt_id` leads back
    to the raw row as delivered. -#}
{%- set rejectable = [
    {'model': 'brz_tushare__stock_basic', 'provider': 'tushare', 'entity': 'stock_basic', 'ts_code': 'ts_code', 'trade_date': 'null::date'},
    {'model': 'brz_tushare__trade_cal', 'provider': 'tushare', 'entity': 'trade_cal', 'ts_code': 'null::text', 'trade_date': 'cal_date'},
    {'model': 'brz_tushare__daily', 'provider': 'tushare', 'entity': 'daily', 'ts_code': 'ts_code', 'trade_date': 'trade_date'},
    {'model': 'brz_tushare__adj_factor', 'provider': 'tushare', 'entity': 'adj_factor', 'ts_code': 'ts_code', 'trade_date': 'trade_date'},
    {'model': 'brz_tushare__daily_basic', 'provider': 'tushare', 'entity': 'daily_basic', 'ts_code': 'ts_code', 'trade_date': 'trade_date'},
    {'model': 'brz_tushare__dividend', 'provider': 'tushare', 'entity': 'dividend', 'ts_code': 'ts_code', 'trade_date': 'ex_date'},
    {'model': 'brz_qmt__daily', 'provider': 'qmt', 'entity': 'daily_bars', 'ts_code': 'ts_code', 'trade_date': 'trade_date'},
] -%}

with

{% for item in rejectable %}
{{ item.model }} as (
    select
        '{{ item.provider }}'::text as provider,
        '{{ item.entity }}'::text as entity,
        {{ item.ts_code }} as ts_code,
        {{ item.trade_date }} as trade_date,
        bronze_row._reject_reason as reason,
        bronze_row._load_id,
        to_jsonb(bronze_row) - '_reject_reason' as payload
    from {{ ref(item.model) }} as bronze_row
    where bronze_row._reject_reason is not null
),
{% endfor %}

final as (
    {%- for item in rejectable %}
    select * from {{ item.model }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
