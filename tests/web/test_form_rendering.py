"""P177: a form's select, inputs and textareas are written in Python with the markup
Django's widget templates give them, character for character, and without a template
per option or per input."""

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

pytestmark = [pytest.mark.requirement("P177"), pytest.mark.engine_free]

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


INPUT_WIDGETS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.Textarea,
    lambda attrs: forms.PasswordInput(attrs, render_value=True),
    lambda attrs: forms.PasswordInput(attrs),
]
value = st.one_of(
    st.none(), text, st.integers(-5, 10_000), st.booleans(), st.just(""), st.just(mark_safe("<b>"))
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    make=st.sampled_from(INPUT_WIDGETS),
    name=text,
    value=value,
    own_attrs=attrs,
    widget_attrs=attrs,
)
def test_an_input_or_textarea_is_written_as_djangos_templates_write_it(
    make, name, value, own_attrs, widget_attrs
):
    theirs, ours = _both(make(own_attrs), name, value, widget_attrs)
    assert ours == theirs


def test_the_pages_render_no_template_for_an_input_or_a_textarea():
    class Form(forms.Form):
        reason = forms.CharField(label="Reason")
        note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
        due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        agree = forms.BooleanField(required=False)
        secret = forms.CharField(widget=forms.PasswordInput)
        count = forms.IntegerField()
        back = forms.CharField(widget=forms.HiddenInput)

    form = Form({"reason": 'why <"> & so', "note": "a\nb", "due": "2026-12-02", "agree": "on"})
    with mock.patch.object(DjangoTemplates, "render", side_effect=AssertionError):
        html = {field.name: str(field) for field in form}
    assert html["reason"] == (
        '<input type="text" name="reason" value="why &lt;&quot;&gt; &amp; so" required'
        ' id="id_reason">'
    )
    assert html["note"] == '<textarea name="note" cols="40" rows="2" id="id_note">\na\nb</textarea>'
    assert 'type="date"' in html["due"]
    assert 'value="2026-12-02"' in html["due"]
    assert html["agree"].startswith('<input type="checkbox" name="agree"')
    assert html["agree"].endswith(" checked>")
    assert 'type="password"' in html["secret"]
    assert "value=" not in html["secret"]
    assert 'type="hidden"' in html["back"]


def test_an_input_template_of_the_project_s_own_is_kept(tmp_path, settings):
    overridden = tmp_path / "django" / "forms" / "widgets"
    overridden.mkdir(parents=True)
    (overridden / "text.html").write_text("<mine {{ widget.name }}>")
    settings.FORM_RENDERER = "qualify.web.rendering.FormRenderer"
    renderer = FormRenderer()
    loaders = renderer.engine.engine.template_loaders
    with mock.patch.object(renderer, "get_template", wraps=renderer.get_template):
        from django.template.loaders.filesystem import Loader

        loaders.insert(0, Loader(renderer.engine.engine, [tmp_path]))
        try:
            assert forms.TextInput().render("x", "1", renderer=renderer) == "<mine x>"
            assert forms.Textarea().render("x", "1", renderer=renderer).startswith("<textarea")
        finally:
            loaders.pop(0)
