{#- Field-by-field fusion: the value of the first provider in `priority` that
    has one, plus `<field>_source` naming that provider. `sources` maps each
    provider that can supply the field to the alias of its relation; providers
    in the priority list without an entry in `sources` do not carry this field
    and are skipped, so one priority list serves several entities. -#}
{% macro fuse_by_priority(field, sources, priority) -%}
    {%- set ranked = [] -%}
    {%- for provider in priority if provider in sources -%}
        {%- do ranked.append(provider) -%}
    {%- endfor -%}
    {%- if ranked | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "no provider in priority " ~ priority ~ " supplies '" ~ field ~ "' (known: " ~ sources.keys() | list ~ ")"
        ) }}
    {%- endif -%}
coalesce(
{%- for provider in ranked -%}
    {{ sources[provider] }}.{{ field }}{{ ', ' if not loop.last }}
{%- endfor -%}
) as {{ field }},
case
{%- for provider in ranked %}
    when {{ sources[provider] }}.{{ field }} is not null then '{{ provider }}'
{%- endfor %}
end as {{ field }}_source
{%- endmacro %}
