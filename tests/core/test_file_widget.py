"""The file widget written in Python (core.web.file_widget) writes what Django's template
writes, with and without a current file."""

from django import forms
from django.forms.renderers import DjangoTemplates

from core.web.form_renderer import FastWidgetRenderer


class _Stored:
    """A stored file as a form shows it: a name and a URL."""

    url = "/media/a&b.txt"

    def __str__(self) -> str:
        return "a&b.txt"


class Uploads(forms.Form):
    optional = forms.FileField(required=False)
    required = forms.FileField()


def test_the_file_input_is_written_as_django_writes_it():
    for initial in ({}, {"optional": _Stored(), "required": _Stored()}):
        fast = Uploads(initial=initial, renderer=FastWidgetRenderer())
        django = Uploads(initial=initial, renderer=DjangoTemplates())
        for name in fast.fields:
            attrs = {"aria-describedby": f"id_{name}_help"}
            assert fast[name].as_widget(attrs=attrs) == django[name].as_widget(attrs=attrs)
