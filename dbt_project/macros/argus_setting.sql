{#- One entry point for business settings so no threshold or priority is
    written into SQL. The flow passes them as `--vars '{"argus": {...}}'`;
    a hand-run `dbt build` gets the same mapping as JSON in ARGUS_DBT_VARS.
    The JSON is decoded here because a `fromjson` rendered inside
    dbt_project.yml vars comes back as a string. -#}
{% macro argus_setting(path) %}
    {%- set settings = var('argus', none) -%}
    {%- if settings is none -%}
        {%- set encoded = env_var('ARGUS_DBT_VARS', '') -%}
        {%- if encoded | trim == '' -%}
            {{ exceptions.raise_compiler_error(
                "argus settings missing: pass --vars '{\"argus\": {...}}' or export ARGUS_DBT_VARS "
                ~ "(eval \"$(argus db env)\")"
            ) }}
        {%- endif -%}
        {%- set settings = fromjson(encoded) -%}
    {%- elif settings is string -%}
        {%- set settings = fromjson(settings) -%}
    {%- endif -%}
    {%- set ns = namespace(node=settings, walked=[]) -%}
    {%- for key in path.split('.') -%}
        {%- set ns.walked = ns.walked + [key] -%}
        {%- if ns.node is not mapping or key not in ns.node -%}
            {{ exceptions.raise_compiler_error(
                "argus setting '" ~ path ~ "' not found (missing at '" ~ ns.walked | join('.') ~ "')"
            ) }}
        {%- endif -%}
        {%- set ns.node = ns.node[key] -%}
    {%- endfor -%}
    {{ return(ns.node) }}
{% endmacro %}
