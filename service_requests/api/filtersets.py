"""CatalogItemFilterSet: the filters of the catalog list in the API (the portal shows the whole
catalog by category and has no filters). It narrows the queryset it is given."""

import django_filters
from django.db.models import Q, QuerySet

from service_requests.models import CatalogCategory, CatalogItem


class CatalogItemFilterSet(django_filters.FilterSet):
    category = django_filters.ModelChoiceFilter(
        queryset=CatalogCategory.objects.filter(is_active=True),
        to_field_name="slug",
        label="Category (slug)",
    )
    q = django_filters.CharFilter(method="filter_q", label="Search name and summary")

    class Meta:
        model = CatalogItem
        fields: list[str] = []

    def filter_q(
        self, queryset: QuerySet[CatalogItem], name: str, value: str
    ) -> QuerySet[CatalogItem]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(summary__icontains=text))
