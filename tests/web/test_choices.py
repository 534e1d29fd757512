"""P200: a form's select of model rows reads its options in one plain statement, not
through a server-side cursor, and offers the options Django's field offers."""

import importlib
import pkgutil
from unittest import mock

import pytest
from django import forms
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

import qualify.web
from qualify.choices import ModelChoiceField, ModelMultipleChoiceField, OptionsInOneRead
from qualify.org import services as org
from qualify.org.models import Site

pytestmark = [pytest.mark.requirement("P200"), pytest.mark.django_db]


def _sites(admin):
    for code in ("ZRH", "BSL", "GVA"):
        org.site_create(actor=admin, code=code, name=f"Site {code}", time_zone="Europe/Zurich")
    return Site.objects.order_by("code")


@pytest.mark.parametrize(
    ("ours", "djangos", "empty"),
    [
        (ModelChoiceField, forms.ModelChoiceField, "all sites"),
        (ModelMultipleChoiceField, forms.ModelMultipleChoiceField, None),
    ],
)
def test_the_options_are_djangos_read_in_one_statement(admin, ours, djangos, empty):
    sites = _sites(admin)
    extra = {"empty_label": empty} if empty else {}
    expected = list(djangos(queryset=sites, **extra).choices)
    field = ours(queryset=sites, **extra)
    # Never a cursor kept open on the server (QuerySet.iterator on PostgreSQL).
    with (
        mock.patch.object(QuerySet, "iterator", side_effect=AssertionError("iterator()")),
        CaptureQueriesContext(connection) as statements,
    ):
        # As the select widget reads them: iterated (list() would also count them).
        offered = [option for option in field.choices]
        again = [option for option in field.choices]
    assert offered == expected == again
    assert [label for _, label in offered][-3:] == [str(site) for site in sites]
    assert len(statements) == 2  # read afresh each time, as Django's field does
    assert not any(q["sql"].lstrip().upper().startswith("DECLARE") for q in statements)


def test_a_site_created_after_the_form_is_offered(admin):
    field = ModelChoiceField(queryset=_sites(admin))
    assert len(list(field.choices)) == 4
    org.site_create(actor=admin, code="AAA", name="Site AAA", time_zone="UTC")
    assert [label for _, label in field.choices][1] == str(Site.objects.get(code="AAA"))


def _web_forms():
    for module in pkgutil.walk_packages(qualify.web.__path__, "qualify.web."):
        if module.name.endswith(".forms") or module.name.endswith("_forms"):
            loaded = importlib.import_module(module.name)
            for value in vars(loaded).values():
                if isinstance(value, type) and issubclass(value, forms.BaseForm):
                    yield value


def test_every_select_of_model_rows_on_the_pages_reads_its_options_at_once():
    checked = 0
    for form in _web_forms():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.ModelChoiceField) and not hasattr(field, "source"):
                checked += 1
                assert field.iterator is OptionsInOneRead, f"{form.__name__}.{name}"
    assert checked >= 20


@pytest.mark.requirement("P214")
def test_a_filters_select_checks_its_value_against_the_options_it_draws(admin):
    from qualify.choices import FilterChoiceField

    sites = _sites(admin)
    bsl = Site.objects.get(code="BSL")

    class Filter(forms.Form):
        site = FilterChoiceField(queryset=None, required=False, empty_label="all sites")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["site"].queryset = sites

    expected = list(forms.ModelChoiceField(queryset=sites, empty_label="all sites").choices)
    form = Filter({"site": str(bsl.pk)})
    with CaptureQueriesContext(connection) as statements:
        assert form.is_valid(), form.errors
        html = str(form["site"])
    assert form.cleaned_data["site"] == bsl
    assert len(statements) == 1  # the options, read once for the check and the drawing
    assert list(form.fields["site"].choices) == expected
    assert f'<option value="{bsl.pk}" selected>' in html
    # What Django's field refuses, this one refuses, with the same message.
    for bad in ("999999", "abc", "1.5"):
        refused, djangos = Filter({"site": bad}), forms.ModelChoiceField(queryset=sites)
        assert not refused.is_valid()
        with pytest.raises(forms.ValidationError) as django_refusal:
            djangos.clean(bad)
        assert refused.errors["site"] == django_refusal.value.messages
    assert not Filter({"site": f"{bsl.pk}\x00"}).is_valid()
    empty = Filter({"site": ""})
    assert empty.is_valid()
    assert empty.cleaned_data["site"] is None
