"""core.web.select_memo.MemoSelect writes what Django's Select writes (through the project's
form renderer), for memoised reference options and plain lists, unbound and bound, selected or
not, with the attributes a field row gives; a kept select is never stale: a new or renamed row
shows at once; and choices that cost a query to read are never kept."""

import pytest
from django import forms

from core.models import Service
from core.web import select_memo
from core.web.forms import (
    AssigneeChoiceField,
    CappedModelChoiceField,
    ConfigurationItemChoiceField,
    GroupChoiceField,
    active_groups,
    active_services,
    agent_users,
)
from core.web.select_memo import MemoSelect
from tests.factories import ConfigurationItemFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _form(widget: type[forms.Select]) -> type[forms.Form]:
    class Picks(forms.Form):
        assignee = AssigneeChoiceField(queryset=agent_users(), required=False, widget=widget)
        support_group = GroupChoiceField(queryset=active_groups(), widget=widget)
        service = CappedModelChoiceField(queryset=active_services(), widget=widget)
        configuration_item = ConfigurationItemChoiceField(
            queryset=ConfigurationItemFactory._meta.model.objects.select_related("service"),
            required=False,
            widget=widget,
        )
        priority = forms.ChoiceField(
            choices=[("1", "P1 <now>"), ("2", "P2"), ("", "None")], widget=widget
        )
        grouped = forms.ChoiceField(
            choices=[("Hardware", [("a", "Laptop"), ("b", "Printer & co")]), ("c", "Other")],
            widget=widget,
            required=False,
        )

    return Picks


def _rendered(widget: type[forms.Select], data: dict[str, str] | None, **attrs: str) -> list[str]:
    form = _form(widget)(data, prefix="edit")
    if data is not None:
        form.is_valid()
    given: dict[str, str | bool] = dict(attrs)
    return [str(form[name].as_widget(attrs=given or None)) for name in form.fields]


@pytest.fixture
def reference(agent_l1, l1_group, l2_group, service):
    ConfigurationItemFactory(service=service, name="Mail <relay>")
    select_memo.forget()


CASES = [
    (None, {}),
    ({"edit-support_group": "", "edit-priority": "2", "edit-grouped": "b"}, {}),
    (None, {"aria-describedby": "edit-help", "class": "wide"}),
]


@pytest.mark.parametrize(("data", "attrs"), CASES)
def test_it_writes_what_select_writes_and_keeps_it(reference, agent_l1, l1_group, data, attrs):
    if data is not None:
        data = {**data, "edit-assignee": str(agent_l1.pk), "edit-service": "0"}
    expected = _rendered(forms.Select, data, **attrs)
    assert _rendered(MemoSelect, data, **attrs) == expected
    kept = len(select_memo._rendered)
    assert kept == len(expected)
    assert _rendered(MemoSelect, data, **attrs) == expected
    assert len(select_memo._rendered) == kept
    assert ('<option value="2" selected>' in "".join(expected)) == (data is not None)


def test_a_new_or_renamed_row_shows_at_once(reference, service):
    before = _rendered(MemoSelect, None)
    ServiceFactory(name="Telephony")
    service.name = "E-mail & calendar"
    service.save()
    after = _rendered(MemoSelect, None)
    assert after == _rendered(forms.Select, None)
    shown = "".join(after)
    assert "Telephony" in shown and "E-mail &amp; calendar" in shown
    assert "Telephony" not in "".join(before)


def test_choices_read_by_a_query_are_not_kept(reference, django_assert_num_queries):
    class Free(forms.Form):
        # Services are memoised by CappedModelChoiceField only: a plain field queries them.
        service = forms.ModelChoiceField(queryset=Service.objects.all(), widget=MemoSelect)

    with django_assert_num_queries(1):
        html = str(Free()["service"])
    assert "Email" in html and not select_memo._rendered
