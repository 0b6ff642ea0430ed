{#- Ratio method: F_t = F_{t-1} * close_{t-1} / pre_close_t over traded days,
    computed set-based as exp of a running sum of log ratios (L_t), then put on
    Tushare's level so a derived stretch continues Tushare's series instead of
    restarting at 1. -#}
{%- set priority = argus_setting('source_priority.financial_data') -%}

with

spine as (
    select * from {{ ref('slv_security_spine') }}
),

tushare_factors as (
    select * from {{ ref('brz_tushare__adj_factor') }}
    where _reject_reason is null
),

tushare_bars as (
    select * from {{ ref('brz_tushare__daily') }}
    where _reject_reason is null
),

qmt_bars as (
    select * from {{ ref('brz_qmt__daily') }}
    where _reject_reason is null and not is_suspended
),

-- lag over traded days only, so close_{t-1} is the previous traded close and a
-- suspension in between is skipped; the first traded day has no ratio
traded_days as (
    select
        ts_code,
        trade_date,
        lag(trade_date) over by_security as prev_traded_date,
        lag(close) over by_security / nullif(pre_close, 0) as price_ratio,
        _load_id
    from {{ ref('slv_daily_bars_fused') }}
    where not is_suspended
    window by_security as (partition by ts_code order by trade_date)
),

{#- A ratio is taken from one provider's own close and pre_close where it has
    both days: mixing one provider's close with another's pre_close would turn
    every cross-source discrepancy into a permanent step in the factor. -#}
{%- set ratio_sources = {'tushare': 'tushare_ratios', 'qmt': 'qmt_ratios'} %}
{%- for provider, bars in [('tushare', 'tushare_bars'), ('qmt', 'qmt_bars')] %}
{{ provider }}_ratios as (
    select
        traded_days.ts_code,
        traded_days.trade_date,
        previous_bar.close / nullif(current_bar.pre_close, 0) as price_ratio
    from traded_days
    inner join {{ bars }} as current_bar
        on traded_days.ts_code = current_bar.ts_code
        and traded_days.trade_date = current_bar.trade_date
    inner join {{ bars }} as previous_bar
        on traded_days.ts_code = previous_bar.ts_code
        and traded_days.prev_traded_date = previous_bar.trade_date
),
{% endfor %}
traded_log_ratios as (
    select
        traded_days.ts_code,
        traded_days.trade_date,
        ln(coalesce(
            {%- for provider in priority if provider in ratio_sources %}
            {{ ratio_sources[provider] }}.price_ratio,
            {%- endfor %}
            traded_days.price_ratio
        )) as log_ratio,
        traded_days._load_id
    from traded_days
    {%- for provider, ratios in ratio_sources.items() %}
    left join {{ ratios }}
        on traded_days.ts_code = {{ ratios }}.ts_code
        and traded_days.trade_date = {{ ratios }}.trade_date
    {%- endfor %}
),

-- suspended days add nothing to the running sum, so they carry the factor forward
log_levels as (
    select
        spine.ts_code,
        spine.trade_date,
        tushare_factors.adj_factor as tushare_factor,
        coalesce(tushare_factors._load_id, traded_log_ratios._load_id) as _load_id,
        sum(coalesce(traded_log_ratios.log_ratio, 0)) over (
            partition by spine.ts_code
            order by spine.trade_date
            rows between unbounded preceding and current row
        ) as log_level,
        count(tushare_factors.adj_factor) over (
            partition by spine.ts_code
            order by spine.trade_date
            rows between unbounded preceding and current row
        ) as tushare_group
    from spine
    left join traded_log_ratios
        on spine.ts_code = traded_log_ratios.ts_code
        and spine.trade_date = traded_log_ratios.trade_date
    left join tushare_factors
        on spine.ts_code = tushare_factors.ts_code
        and spine.trade_date = tushare_factors.trade_date
),

-- each tushare_group starts at a day Tushare has a factor for and runs up to
-- the next one, so that day is the latest earlier anchor for the whole group;
-- days before the first Tushare value (group 0) anchor on the first later one
anchors as (
    select
        log_levels.*,
        max(tushare_factor) over (partition by ts_code, tushare_group) as earlier_anchor_factor,
        max(case when tushare_factor is not null then log_level end)
            over (partition by ts_code, tushare_group) as earlier_anchor_level,
        first_value(tushare_factor) over (
            partition by ts_code order by tushare_factor is null, trade_date
        ) as later_anchor_factor,
        first_value(log_level) over (
            partition by ts_code order by tushare_factor is null, trade_date
        ) as later_anchor_level
    from log_levels
),

final as (
    select
        -- keys
        ts_code,
        trade_date,
        -- adjustment
        case
            when tushare_factor is not null then tushare_factor
            when tushare_group > 0 then earlier_anchor_factor * exp(log_level - earlier_anchor_level)
            when later_anchor_factor is not null then later_anchor_factor * exp(log_level - later_anchor_level)
            else exp(log_level)
        end as adj_factor,
        case when tushare_factor is not null then 'tushare' else 'derived' end as adj_factor_source,
        -- lineage
        _load_id
    from anchors
)

select * from final
