{#- Providers spell codes `600519.SH`, `600519`, `sh.600519` or `SH600519`;
    a bare code takes its exchange from the code range so every layer joins on
    one spelling. A bare code outside every range keeps no suffix and is then
    rejected as an unknown ts_code rather than silently guessed. -#}
{% macro normalise_ts_code(column) -%}
    {%- set code = "upper(trim(" ~ column ~ "::text))" -%}
    case
        when {{ code }} ~ '^[0-9]{6}\.(SH|SZ|BJ)$' then {{ code }}
        when {{ code }} ~ '^(SH|SZ|BJ)\.?[0-9]{6}$' then right({{ code }}, 6) || '.' || left({{ code }}, 2)
        when {{ code }} ~ '^[0-9]{6}$' then {{ code }} || coalesce(
            case
                when {{ code }} ~ '^6' then '.SH'
                when {{ code }} ~ '^[03]' then '.SZ'
                when {{ code }} ~ '^(4|8|92)' then '.BJ'
            end,
            ''
        )
        else nullif({{ code }}, '')
    end
{%- endmacro %}
