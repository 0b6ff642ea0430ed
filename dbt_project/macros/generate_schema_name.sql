{#- Layers own fixed schemas (bronze, silver, gold, quarantine) that the
    flow, the GX suites and the Qlib export address by name, so a custom
    schema is used verbatim instead of being prefixed with the target schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
