{#- amount / volume is the day's average traded price and must lie within
    [low, high]; a unit slip (lots for shares, thousands of CNY for CNY) puts
    it off by 100× or 1000×. `tick` is the exchange's price tick, the rounding
    a provider's amount may carry. -#}
{% test vwap_within_range(model, volume='volume', amount='amount', low='low', high='high', tick=0.01) %}

select *
from {{ model }}
where {{ volume }} > 0
    and {{ amount }} is not null
    and (
        {{ amount }}::double precision / {{ volume }} < {{ low }} - {{ tick }}
        or {{ amount }}::double precision / {{ volume }} > {{ high }} + {{ tick }}
    )

{% endtest %}
