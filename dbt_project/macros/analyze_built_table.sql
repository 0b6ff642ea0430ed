{#- Post-hook giving a freshly built table its planner statistics at once.
    `create table as` leaves a table with none until autovacuum's next pass
    (up to a minute later), so the models, tests and gates that read it right
    after are planned blind: with unknown selectivities and join
    cardinalities the planner misjudges every join on (ts_code, trade_date)
    (slv_adj_factor ran ~6x slower on unanalyzed bronze). ANALYZE samples a
    fixed 30,000 rows, a fraction of a second even at a million rows. Views
    hold no rows to sample and are skipped. -#}
{% macro analyze_built_table(relation) -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
analyze {{ relation }}
    {%- endif -%}
{%- endmacro %}
