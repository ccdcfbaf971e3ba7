"""A list's kept count and page (core/web/kept_list.py): the filters' key names every value
their SQL depends on and refuses what it cannot name; each page and each filter value gets its
own rows from its own kept statement; the count stops at the cap."""

import pytest
from django.test import RequestFactory

from core.web.kept_list import filters_key, kept_page
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

PURE = ("q", "open", "status", "priority", "ordering")


def key_of(query: dict[str, str]) -> object:
    return filters_key(IncidentFilterSet(query, queryset=Incident.objects.all()), PURE)


def test_the_key_names_each_value_and_refuses_what_it_cannot() -> None:
    assert key_of({}) == key_of({"open": "true"})
    assert key_of({"q": "disk"}) != key_of({"q": "disks"})
    assert key_of({"status": "logged"}) != key_of({"status": "identified"})
    # A filter the list does not name as pure, an invalid form: compiled for the request alone.
    assert key_of({"tier": "2"}) is None
    assert key_of({"status": "no-such-status"}) is None


def test_each_page_and_each_filter_gets_its_own_rows_and_the_count_is_capped(
    settings: object,
) -> None:
    settings.LIST_COUNT_CAP = 5  # type: ignore[attr-defined]
    made = IncidentFactory.create_batch(7, title="disk full")
    other = IncidentFactory(title="printer jam")
    factory = RequestFactory()

    def page(query: dict[str, str]) -> tuple[object, list[str]]:
        request = factory.get("/", query)
        filterset = IncidentFilterSet(request.GET, queryset=Incident.objects.all())
        key = ("test list", "default", filters_key(filterset, PURE))
        found, values = kept_page(
            request,
            key,
            lambda: filterset.qs.order_by("id"),
            model=Incident,
            per_page=3,
            columns=("number",),
        )
        return found, [number for (number,) in values]

    first, numbers = page({"q": "disk"})
    assert first.paginator.count.label == "5+"  # type: ignore[attr-defined]
    assert numbers == [i.number for i in made[:3]]
    second, numbers = page({"q": "disk", "page": "2"})
    assert second.number == 2  # type: ignore[attr-defined]
    assert numbers == [i.number for i in made[3:5]]  # the page stops at the capped count
    _, numbers = page({"q": "printer"})
    assert numbers == [other.number]
    _, numbers = page({"q": "disk"})
    assert numbers == [i.number for i in made[:3]]
