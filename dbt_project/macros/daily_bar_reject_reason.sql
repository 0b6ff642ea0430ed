{#- The row rules every provider's daily bar must pass before silver may use
    it. The first failing rule names the row's reason, so each rejected row is
    counted once. `suspended`, when given, is an expression marking rows that
    carry no prices by design (a suspension notice, not a bar). -#}
{% macro daily_bar_reject_reason(is_known_code, suspended=none) -%}
    case
        when ts_code is null or trade_date is null then 'null key'
        when not {{ is_known_code }} then 'unknown ts_code'
        {%- if suspended is not none %}
        when {{ suspended }} then null
        {%- endif %}
        when open is null or high is null or low is null or close is null then 'missing price'
        when least(open, high, low, close) <= 0 or pre_close <= 0 then 'non-positive price'
        when high < low then 'high below low'
        when open not between low and high or close not between low and high then 'open/close outside high-low'
        when volume < 0 then 'negative volume'
    end
{%- endmacro %}
