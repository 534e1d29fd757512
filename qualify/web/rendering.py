"""Issue 18: Django's form renderer, with its select, input and textarea widgets
built in Python.

Django renders a select through three templates, the option and attribute ones once per
option: on a filter form of a few sites, departments and job functions that was a fifth
of the page (the assignments page, medium plant). An input or a textarea is two or three
templates too, and a page of signed actions has a dozen (an account's page: eleven
widgets, 9 ms of 39 under the profiler). `FormRenderer` writes the same markup as those
templates, character for character (tests/web/test_form_rendering.py compares them),
and hands every other widget, and any select whose options use another template, to
Django's templates as before.
"""

import functools
from pathlib import Path
from urllib.parse import quote

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeData, mark_safe

DJANGO_WIDGETS = Path(django.forms.__file__).parent / "templates"
SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"
INPUT = "django/forms/widgets/input.html"
# The widget templates that are input.html and nothing else.
INPUTS = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
ATTRS = "django/forms/widgets/attrs.html"

# What a template's {{ value }} reads besides the value: autoescape on, the defaults.
_CONTEXT = Context(autoescape=True)


def shown(value) -> str:
    """`{{ value }}`."""
    return render_value_in_context(value, _CONTEXT)


def _shown_as_text(value) -> str:
    """`{{ value|stringformat:'s' }}` (the filter keeps a safe string safe)."""
    text = stringformat(value, "s")
    return shown(mark_safe(text) if isinstance(value, SafeData) else text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {shown(name)}")
        if value is not True:
            out.append(f'="{_shown_as_text(value)}"')
    return "".join(out)


def select_html(widget: dict) -> str | None:
    """django/forms/widgets/select.html for this widget context, or None when an option
    asks for another template."""
    out = [f'<select name="{shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{shown(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None
            out.append(
                f'\n  <option value="{_shown_as_text(option["value"])}"'
                f"{_attrs(option['attrs'])}>{shown(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    # The renderer strips what a template renders (BaseRenderer.render).
    return "".join(out).strip()


def input_html(widget: dict) -> str:
    """django/forms/widgets/input.html."""
    value = widget.get("value", "")
    shown_value = f' value="{_shown_as_text(value)}"' if value is not None else ""
    return (
        f'<input type="{shown(widget.get("type", ""))}" name="{shown(widget["name"])}"'
        f"{shown_value}{_attrs(widget['attrs'])}>"
    )


def textarea_html(widget: dict) -> str:
    """django/forms/widgets/textarea.html."""
    value = widget.get("value", "")
    return (
        f'<textarea name="{shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{shown(value) if value else ''}</textarea>"
    )


class FormRenderer(DjangoTemplates):
    def _is_djangos(self, name: str) -> bool:
        return Path(self.get_template(name).origin.name) == DJANGO_WIDGETS / name

    @cached_property
    def _selects_are_djangos(self) -> bool:
        # An app overriding the select or option template keeps its template.
        return all(self._is_djangos(name) for name in (SELECT, OPTION, ATTRS))

    @cached_property
    def _inputs_are_djangos(self) -> frozenset[str]:
        """The input and textarea templates written here: those Django's own, with
        Django's input.html (which each includes) and attrs.html."""
        if not (self._is_djangos(INPUT) and self._is_djangos(ATTRS)):
            return frozenset()
        return frozenset(name for name in (*INPUTS, TEXTAREA) if self._is_djangos(name))

    def render(self, template_name, context, request=None):
        if template_name == SELECT and self._selects_are_djangos:
            html = select_html(context["widget"])
            if html is not None:
                return html
        elif template_name in self._inputs_are_djangos:
            widget = context["widget"]
            return textarea_html(widget) if template_name == TEXTAREA else input_html(widget)
        return super().render(template_name, context, request=request)


# A pk no row has, replaced per row: the URL patterns given take any integer.
_PLACEHOLDER = "987654321"
# What reverse() leaves unquoted in a path (django.urls.resolvers).
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"


def addresses(url_name: str):
    """A function pk -> reverse(url_name, args=[pk]), reversing once (issue 18: a table
    of 50 rows reversed its row's address 50 times)."""
    template = reverse(url_name, args=[_PLACEHOLDER])
    return lambda pk: template.replace(_PLACEHOLDER, str(pk))


def text_addresses(url_name: str):
    """As `addresses`, for a URL whose argument is text (a document number): the text
    quoted as reverse() quotes it (P189 keeps "/" out of such text)."""
    template = reverse(url_name, args=[_PLACEHOLDER])
    return lambda text: template.replace(_PLACEHOLDER, quote(str(text), safe=_URL_SAFE))


@functools.cache
def choice_labels(model, field_name: str):
    """A function value -> what `row.get_<field_name>_display()` gives, the field's
    labels read once (issue 18: Django flattens and hashes a field's choices again for
    each row, 600 times for a page of 50 assignments)."""
    labels = dict(model._meta.get_field(field_name).flatchoices)
    return lambda value: force_str(labels.get(value, value), strings_only=True)
