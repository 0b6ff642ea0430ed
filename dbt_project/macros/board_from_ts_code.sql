{#- The board decides the daily price limit, and the code range is the one
    attribute every provider agrees on, so the board is derived from it rather
    than from each provider's own market label. -#}
{% macro board_from_ts_code(column) -%}
    case
        when {{ column }} like '%.BJ' then 'bse'
        when {{ column }} ~ '^68[89]' then 'star'
        when {{ column }} ~ '^30[01]' then 'chinext'
        when {{ column }} ~ '^(60|00)' then 'main'
    end
{%- endmacro %}
