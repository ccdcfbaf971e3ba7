"""`{% field_row %}` writes exactly what templates/includes/field.html writes, for every kind of
field, unbound and bound with errors, with and without `needed_for`."""

import pytest
from django import forms
from django.template import Context, Template
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from core.web.field_row import field_row
from core.web.forms import AgentCommentForm, AssignForm, AttachmentForm, TierMoveForm
from tests.core.test_form_renderer import Everything

pytestmark = pytest.mark.django_db


class Described(forms.Form):
    title = forms.CharField(help_text="Say <what> & why", label="Title & <b>name</b>")
    safe_help = forms.CharField(required=False, help_text=mark_safe("<em>emphasis</em>"))
    flag = forms.BooleanField(help_text="Tick it", label="I agree <now>")
    picks = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=[("a", "A"), ("b", "B <c>")], required=False
    )

    def clean_title(self) -> str:
        raise forms.ValidationError(["One & two", "<three>"])


class Choices(forms.Form):
    """Choice groups with help and, once bound, errors (a required radio left empty, a tick
    that is not a choice)."""

    pick = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[("a", "A & <b>"), ("b", mark_safe("<i>B</i>"))],
        help_text="Pick <one>",
        label="Pick & choose",
    )
    ticks = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline"}),
        choices=[("x", "X"), ("Group", [("y", "Y"), ("z", "Z")])],
        required=False,
    )
    helped_ticks = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=[(1, 1), (2, 2)], help_text="Any"
    )


def _include(field: forms.BoundField, needed_for: str) -> str:
    return get_template("includes/field.html").render({"field": field, "needed_for": needed_for})


FORMS = [
    Everything,
    Described,
    Choices,
    lambda data: Choices({"ticks": ["x", "nope"], "helped_ticks": ["2"]} if data else None),
    lambda data: AgentCommentForm(data, prefix="comment"),
    lambda data: AssignForm(data, prefix="assign"),
    lambda data: AttachmentForm(data, allow_internal=True, prefix="attach"),
    lambda data: TierMoveForm(data, prefix="escalate"),
]


@pytest.mark.parametrize("make", FORMS)
@pytest.mark.parametrize("bound", [False, True])
@pytest.mark.parametrize("needed_for", ["", "needed to <complete>"])
def test_a_field_row_is_the_include_to_the_byte(l1_group, make, bound, needed_for):
    form = make({"title": "x", "count": "not a number", "comment-body": ""} if bound else None)
    if bound:
        form.is_valid()
    for field in form:
        assert field_row(field, needed_for) == _include(field, needed_for), field.name


def test_the_tag_takes_the_field_and_what_it_is_needed_for(l1_group):
    form = Described()
    template = Template(
        "{% load servicedesk %}{% field_row form.title %}|"
        '{% field_row form.title needed_for="later" %}'
    )
    shown = template.render(Context({"form": form}))
    assert shown == f"{_include(form['title'], '')}|{_include(form['title'], 'later')}"
