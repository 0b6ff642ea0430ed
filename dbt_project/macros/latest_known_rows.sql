{#- The latest load's row per key (see latest_load_rank). Rows with a null key
    cannot be ranked against anything, so all of them are kept for the reject
    rules to name. `is_known_code` says whether the security is in stock_basic. -#}
{% macro latest_known_rows(relation, key_columns, securities='securities') -%}
    select
        ranked.*,
        {{ securities }}.ts_code is not null as is_known_code
    from (
        select
            {{ relation }}.*,
            {{ latest_load_rank(key_columns) }} as load_rank
        from {{ relation }}
    ) as ranked
    left join {{ securities }}
        on ranked.ts_code = {{ securities }}.ts_code
    where ranked.load_rank = 1
    {%- for column in key_columns %}
        or ranked.{{ column }} is null
    {%- endfor %}
{%- endmacro %}
