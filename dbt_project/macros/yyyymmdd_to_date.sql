{#- Tushare sends dates as YYYYMMDD text; an ISO spelling is accepted too in
    case the loader infers a date type, so a schema change upstream does not
    silently null every date. -#}
{% macro yyyymmdd_to_date(column) -%}
    case
        when {{ column }}::text ~ '^[0-9]{8}$' then to_date({{ column }}::text, 'YYYYMMDD')
        when {{ column }}::text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then left({{ column }}::text, 10)::date
    end
{%- endmacro %}
