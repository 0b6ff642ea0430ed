{#- Providers resend rows (restatements, overlapping backfills); the row from
    the latest dlt load is the one the provider currently stands behind. -#}
{% macro latest_load_rank(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _dlt_load_id desc, _dlt_id desc
    )
{%- endmacro %}
