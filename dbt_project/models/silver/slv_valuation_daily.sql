{%- set priority = argus_setting('source_priority.financial_data') -%}
{#- Only Tushare publishes daily valuation today; QMT, listed in the
    financial-data priority, is skipped until it supplies these fields. -#}
{%- set sources = {'tushare': 'tushare'} -%}

with

tushare as (
    select * from {{ ref('brz_tushare__daily_basic') }}
    where _reject_reason is null
),

final as (
    select
        -- keys
        tushare.ts_code,
        tushare.trade_date,
        -- valuation, each with the provider that won it
        {{ fuse_by_priority('pe_ttm', sources, priority) | indent(8) }},
        {{ fuse_by_priority('pb', sources, priority) | indent(8) }},
        -- share capital (shares, CNY)
        tushare.turnover_rate,
        tushare.total_share,
        tushare.float_share,
        tushare.total_mv,
        tushare.circ_mv,
        -- lineage
        tushare._load_id
    from tushare
)

select * from final
