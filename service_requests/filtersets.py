"""RequestFilterSet: the filters of the agent request list (status, item, group, assignee, text).

It only narrows a queryset it is given; callers pass the user's scoped queryset from
service_requests.selectors, so filtering can never widen what someone may see.
"""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from core.config_memo import ConfigMemo
from core.filtering import (
    BY_AGE,
    BY_BREACH,
    CappedModelChoiceFilter,
    Orderings,
    TicketFilterSet,
    ordering_filter,
)
from service_requests.choices import RequestStatus
from service_requests.models import CatalogItem, ServiceRequest

ORDERINGS: Orderings = {"breach": BY_BREACH, **BY_AGE}
DEFAULT_ORDERING = "breach"


# A token that changes whenever a catalog item does (core.config_memo: at once in this process,
# within CONFIG_MEMO_RECHECK_SECONDS in the others), for the list's filter form kept with its
# select options (core.web.list_filters): core's options memo does not know this app's table.
# Connected in ServiceRequestsConfig.ready().
CATALOG_ITEMS_MEMO = ConfigMemo("request-catalog-items", ["requests.CatalogItem"])


def catalog_items_token() -> object:
    """The same object until a catalog item is saved or deleted, then a new one."""
    return CATALOG_ITEMS_MEMO.get("token", object)


def _items(request: Any) -> QuerySet[CatalogItem]:
    return CatalogItem.objects.order_by("name")


class RequestFilterSet(TicketFilterSet):
    """Filters for request lists (the shared ones: core.filtering.TicketFilterSet)."""

    orderings = ORDERINGS
    default_ordering = DEFAULT_ORDERING
    counted = ("q", "status", "catalog_item", "support_group", "assignee")

    status = django_filters.MultipleChoiceFilter(
        choices=RequestStatus.choices,
        label="Status",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    catalog_item = CappedModelChoiceFilter(queryset=_items, label="Item", empty_label="Any item")
    ordering = ordering_filter(ORDERINGS)

    class Meta:
        model = ServiceRequest
        fields: list[str] = []
