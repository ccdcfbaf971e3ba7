"""The PostgreSQL page read (sla.whatif.inputs_postgres) gives what the portable read gives,
page for page, over the demo generator's incidents, in one query per page (and one for the
services the events name; the snapshots once per process)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.tickets.kinds import kind_named
from incidents.models import Incident
from sla.whatif import inputs_postgres
from sla.whatif.inputs import page_portable, page_postgres, scope
from tests.demo.seeding import seed
from tests.sla.whatif.helpers import new_scenario

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_postgres_page_is_the_portable_page(manager, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seed(incidents=300)
    monkeypatch.setattr(inputs_postgres, "_SNAPSHOTS", {})
    kind = kind_named("incident")
    content_type = ContentType.objects.get_for_model(Incident)
    first = Incident.objects.order_by("created_at").values_list("created_at", flat=True)[0]
    scenario = new_scenario(manager, since=first, until=timezone.now())
    last, pages, queries, changed = 0, 0, [], 0
    while True:
        tickets = scope(kind, scenario).filter(pk__gt=last).order_by("pk")
        with CaptureQueriesContext(connection) as captured:
            fast = page_postgres(tickets, content_type, 100)
        queries.append(len(captured))
        slow = page_portable(tickets, content_type, 100)
        assert fast == slow
        if fast is None:
            break
        changed += sum(1 for h in fast.histories if h.changes[1:])
        last, pages = fast.ids[-1], pages + 1
    assert pages >= 3
    assert changed > 100, "the histories have events after their creation"
    # The first page also reads the snapshots; later ones only the page and its services.
    assert queries[0] <= 3
    assert max(queries[1:]) <= 2
