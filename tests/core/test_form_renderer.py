"""The fast form renderer writes exactly what Django's widget templates write."""

from datetime import date, datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from core.models import SupportGroup
from core.web.form_renderer import FastWidgetRenderer

pytestmark = pytest.mark.django_db


class Everything(forms.Form):
    title = forms.CharField(max_length=20, help_text="Short")
    quoted = forms.CharField(required=False, initial='say "hi" <b>&</b>')
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial="a < b\n& c")
    empty_body = forms.CharField(widget=forms.Textarea, required=False)
    count = forms.IntegerField(initial=12345)
    mail = forms.EmailField(required=False)
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=date(2026, 1, 2))
    moment = forms.DateTimeField(required=False, initial=datetime(2026, 1, 2, 3, 4))
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, initial=7)
    agree = forms.BooleanField(required=False, initial=True)
    off = forms.BooleanField(required=False)
    upload = forms.FileField(required=False)
    choice = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & B"), ("<x>", mark_safe("<i>safe</i>")), (3, 3)],
        initial="a",
    )
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("none", "None")],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], initial=["b"])
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.order_by("name"), required=False)
    radio = forms.ChoiceField(
        widget=forms.RadioSelect, choices=[("x", "X"), ("y", "Y")], required=False
    )
    radio_required = forms.ChoiceField(
        widget=forms.RadioSelect(attrs={"class": "inline <x>"}),
        choices=[("", "None"), ("a", "A & B"), ("<x>", mark_safe("<i>safe</i>")), (3, 3)],
        initial="<x>",
    )
    ticks = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        choices=[("a", "A"), ("Group <g>", [("b", "B <b>"), ("c", "C")]), ("d", "D")],
        initial=["b", "d"],
        required=False,
    )
    disabled = forms.CharField(disabled=True, initial="fixed", required=False)


@pytest.mark.parametrize("bound", [False, True])
def test_every_widget_is_written_as_django_writes_it(l1_group, bound):
    data = {
        "title": "<script>",
        "body": "",
        "count": "x",
        "choice": "<x>",
        "many": ["a", "b"],
        "group": str(l1_group.pk),
        "radio_required": "a",
        "ticks": ["a", "c"],
    }
    fast = Everything(data if bound else None, renderer=FastWidgetRenderer())
    django = Everything(data if bound else None, renderer=DjangoTemplates())
    for name in fast.fields:
        attrs = {"aria-describedby": f"id_{name}_help", "data-x": 'a"b'}
        assert fast[name].as_widget(attrs=attrs) == django[name].as_widget(attrs=attrs), name
    assert str(fast) == str(django)
    for name in ("radio", "radio_required", "ticks"):
        for fast_choice, django_choice in zip(fast[name], django[name], strict=True):
            assert fast_choice.tag() == django_choice.tag(), name
            assert fast_choice.tag(wrap_label=True) == django_choice.tag(wrap_label=True), name


class OwnOption(forms.CheckboxSelectMultiple):
    option_template_name = "django/forms/widgets/select_option.html"


def test_a_choice_group_without_an_id_or_with_its_own_option_template_is_djangos(l1_group):
    class Choices(forms.Form):
        plain = forms.MultipleChoiceField(
            widget=forms.CheckboxSelectMultiple, choices=[("a", "A")], initial=["a"]
        )
        own = forms.MultipleChoiceField(widget=OwnOption, choices=[("a", "A")], initial=["a"])

    for auto_id in ("id_%s", False):
        fast = Choices(auto_id=auto_id, renderer=FastWidgetRenderer())
        django = Choices(auto_id=auto_id, renderer=DjangoTemplates())
        for name in fast.fields:
            assert str(fast[name]) == str(django[name]), (name, auto_id)


def test_choice_groups_and_their_choices_need_no_template(monkeypatch):
    def no_template(self: DjangoTemplates, template_name: str) -> None:
        raise AssertionError(f"{template_name} read")

    monkeypatch.setattr(DjangoTemplates, "get_template", no_template)
    form = Everything(renderer=FastWidgetRenderer())
    for name in ("radio", "ticks"):
        assert str(form[name]).startswith(f'<div id="id_{name}">')
        assert all(choice.tag().startswith("<input ") for choice in form[name])
