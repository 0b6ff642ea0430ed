{#- Uniqueness of a composite key. Rows with a null in any key column are left
    to the not_null tests, as dbt's own `unique` does for a single column. -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as row_count
from {{ model }}
where {% for column in columns %}{{ column }} is not null{{ ' and ' if not loop.last }}{% endfor %}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
