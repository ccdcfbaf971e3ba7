"""The queue's tab bar and summary written in Python (incidents.views.queue_head) read as the
templates they replaced (kept here as they were) for every kind of query string and count."""

from itertools import product
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.template import RequestContext, Template
from django.test import RequestFactory

from core.capped_counts import CappedCount
from incidents.selectors import QUEUE_TABS
from incidents.views.queue_head import Tab, queue_head

TABS_TEMPLATE = (
    "{# The queue's tabs: links that keep every filter (only the page resets), each w"
    "ith its count (capped, core/capped_counts.py) from one query. Swapped out of ban"
    'd by each refresh of the rows. #}\n<nav id="queue-tabs" class="queue-tabs" aria-l'
    'abel="Queues"{% if oob %} hx-swap-oob="true"{% endif %}>\n  <ul>\n    {% for item '
    'in tabs %}\n    <li><a id="tab-{{ item.key }}" class="queue-tab{% if item.current'
    ' %} is-current{% endif %}" href="{% querystring tab=item.key page=None %}"{% if '
    'item.current %} aria-current="page"{% endif %}>{{ item.label }} <span class="tab'
    '-count">{{ item.count.label }}</span><span class="visually-hidden"> incident{{ i'
    "tem.count|pluralize }}</span></a></li>\n    {% endfor %}\n  </ul>\n</nav>\n"
)
SUMMARY_TEMPLATE = (
    '<p class="muted queue-summary" id="result-count"{% if oob %} hx-swap-oob="true"{'
    "% endif %}>{{ count_label }} {% if open_only %}open {% endif %}incident{{ page.p"
    "aginator.count|pluralize }}{% for item in tabs %}{% if item.current and item.key"
    ' != "all" %} in “{{ item.label }}”{% endif %}{% endfor %}{% if filterset.active_'
    "filter_count %} matching your filters{% endif %} · sorted by {{ ordering_label|l"
    "ower }}{% if refresh_seconds %} · refreshes every {{ refresh_seconds }} seconds{"
    "% endif %}</p>\n"
)

QUERIES = [
    "",
    "page=2",
    "tab=mine",
    "open=false&tab=all&page=3",
    "q=%3Cb%3E+%26+%22caf%C3%A9%22&priority=1",
    "status=logged&status=on_hold&tab=groups&ordering=oldest",
    "page=2&page=3&sla_state=breached",
]


def _context(query, tab, count, capped, open_only, filters, refresh_seconds):
    counts = {key: CappedCount(count + n, capped) for n, key in enumerate(QUEUE_TABS)}
    return {
        "tabs": [Tab(key, label, counts[key], key == tab) for key, label in QUEUE_TABS.items()],
        "page": SimpleNamespace(paginator=SimpleNamespace(count=counts[tab])),
        "count_label": counts[tab].label,
        "open_only": open_only,
        "filterset": SimpleNamespace(active_filter_count=filters),
        "ordering_label": "Time to breach",
        "refresh_seconds": refresh_seconds,
    }


@pytest.mark.parametrize("query", QUERIES)
def test_the_tab_bar_and_summary_read_as_their_templates(query):
    request = RequestFactory().get(f"/agent/incidents/?{query}")
    request.user = AnonymousUser()
    for tab, count, capped, open_only, filters, refresh_seconds in product(
        QUEUE_TABS, (0, 1, 1000), (False, True), (False, True), (0, 2), (0, 15)
    ):
        context = _context(query, tab, count, capped, open_only, filters, refresh_seconds)
        made = queue_head(context, QueryDict(query))
        for oob, suffix in ((False, ""), (True, "_oob")):
            expected = RequestContext(request, {**context, "oob": oob})
            assert made[f"tabs{suffix}_html"] == Template(TABS_TEMPLATE).render(expected)
            assert made[f"summary{suffix}_html"] == Template(SUMMARY_TEMPLATE).render(expected)
