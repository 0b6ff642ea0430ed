{#- A quantity that is a ratio or a price has no meaning at or below zero. -#}
{% test positive(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} <= 0

{% endtest %}
