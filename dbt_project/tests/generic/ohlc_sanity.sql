{#- A bar whose prices contradict each other: non-positive low, high below low,
    or open/close outside [low, high]. Rows without a high (suspended days)
    carry no bar and are not judged. -#}
{% test ohlc_sanity(model, open='open', high='high', low='low', close='close') %}

select *
from {{ model }}
where {{ high }} is not null
    and (
        {{ low }} <= 0
        or {{ high }} < {{ low }}
        or {{ open }} not between {{ low }} and {{ high }}
        or {{ close }} not between {{ low }} and {{ high }}
    )

{% endtest %}
