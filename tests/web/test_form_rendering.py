"""P177: a form's select is written in Python with the markup Django's widget templates
give it, character for character, and without a template per option."""

from unittest import mock

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from qualify.web.rendering import FormRenderer

pytestmark = pytest.mark.requirement("P177")

DJANGO = DjangoTemplates()
OURS = FormRenderer()

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
key = st.one_of(st.integers(-5, 10_000), text, st.none())
choice = st.tuples(key, st.one_of(text, st.integers(0, 99)))
choices = st.lists(
    st.one_of(choice, st.tuples(text, st.lists(choice, min_size=1, max_size=3))), max_size=6
)
attrs = st.dictionaries(
    st.sampled_from(["class", "data-x", "autofocus", "disabled", "aria-label", "required"]),
    st.one_of(st.booleans(), text, st.integers(0, 9)),
    max_size=4,
)


def _both(widget, name, value, widget_attrs=None):
    return (
        widget.render(name, value, attrs=widget_attrs, renderer=DJANGO),
        widget.render(name, value, attrs=widget_attrs, renderer=OURS),
    )


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    choices=choices,
    name=text,
    value=st.one_of(key, st.lists(key, max_size=3)),
    widget_attrs=attrs,
    multiple=st.booleans(),
)
def test_a_select_is_written_as_djangos_templates_write_it(
    choices, name, value, widget_attrs, multiple
):
    widget = (forms.SelectMultiple if multiple else forms.Select)(choices=choices)
    theirs, ours = _both(widget, name, value, widget_attrs)
    assert ours == theirs


def test_safe_labels_and_values_stay_unescaped_as_in_the_templates():
    widget = forms.Select(
        choices=[(mark_safe("<b>"), mark_safe("<i>x</i>")), ("<b>", "<i>x</i>")],
        attrs={"title": mark_safe("a&b"), "lang": "a&b"},
    )
    theirs, ours = _both(widget, "f", mark_safe("<b>"))
    assert ours == theirs
    assert "<i>x</i>" in ours
    assert "&lt;i&gt;x&lt;/i&gt;" in ours


def test_a_model_choice_field_renders_the_same():
    class Form(forms.Form):
        when = forms.NullBooleanField(required=False)
        status = forms.ChoiceField(choices=[("", "any"), ("open", "Open & due")], required=False)

    form = Form({"status": "open"})
    for field in form:
        widget = field.field.widget
        value = field.value()
        assert widget.render(field.html_name, value, renderer=OURS) == widget.render(
            field.html_name, value, renderer=DJANGO
        )


def test_the_pages_use_it_and_render_no_template_per_option():
    assert settings.FORM_RENDERER == "qualify.web.rendering.FormRenderer"
    widget = forms.Select(choices=[(n, f"option {n}") for n in range(50)])
    with mock.patch.object(DjangoTemplates, "render", side_effect=AssertionError):
        html = widget.render("job_function", 7, renderer=OURS)
    assert html.count("<option") == 50
    assert '<option value="7" selected>' in html


def test_a_select_whose_options_have_their_own_template_keeps_it():
    class Special(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Special(choices=[("a", "A")])
    theirs, ours = _both(widget, "f", "a")
    assert ours == theirs
    assert "<input" in ours
