"""A form field that chooses among thousands of rows without rendering them (issue 18).

The page shows a text box and, under it, what is already chosen as ticked boxes.
With JavaScript, typing searches the field's source (htmx, at most LIMIT matches)
and picking a match ticks it. Without JavaScript, the text box takes exact keys
(an employee number, a document number), resolved server side against the same rows
the field validates: a key that names nothing, or more than one row, is refused by
name. Posting ids (the ticked boxes, or any client that posts ids as before) keeps
working: an id outside the field's rows is refused like any invalid choice.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from qualify.edge import ModelMultipleIdsField, whole_number
from qualify.web.lookup.queries import Source

TEXT_SUFFIX = "__q"
SEPARATORS = re.compile(r"[\s,;]+")
MAX_KEYS = 200


def _ids(values) -> list[str]:
    out = []
    for value in values:
        text = str(getattr(value, "pk", value) if value is not None else "").strip()
        if text:
            out.append(text)
    return out


class LookupWidget(forms.Widget):
    template_name = "web/lookup/widget.html"
    multiple = False

    def __init__(self, source: Source, attrs=None):
        super().__init__(attrs)
        self.source = source

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            ids = data.getlist(name)
        else:
            raw = data.get(name)
            ids = _ids(raw if isinstance(raw, list | tuple) else [raw])
        return {"ids": [i for i in ids if str(i).strip()], "text": data.get(name + TEXT_SUFFIX, "")}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + TEXT_SUFFIX not in data

    def id_for_label(self, id_):
        return id_

    def _chosen(self, value) -> tuple[list[tuple[str, str]], str]:
        if isinstance(value, dict):
            ids, text = value.get("ids") or [], value.get("text") or ""
        elif isinstance(value, list | tuple):
            ids, text = _ids(value), ""
        else:
            ids, text = _ids([value]), ""
        ids = [i for i in ids if whole_number(i) is not None][:MAX_KEYS]
        chosen = []
        if ids:
            field = self.choices.field
            # The row the field's check just found in its queryset (P212): not read again.
            known = getattr(field, "cleaned_row", None)
            if known is not None and ids == [str(known.pk)]:
                return [(str(known.pk), field.label_from_instance(known))], text
            # The labels of what is chosen only: one query, however many rows exist.
            rows = field.queryset.filter(pk__in=ids).order_by("pk")
            chosen = [(str(r.pk), field.label_from_instance(r)) for r in rows]
        return chosen, text

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen, text = self._chosen(value)
        widget = context["widget"]
        widget.update(
            {
                "chosen": chosen,
                "text": text,
                "text_name": name + TEXT_SUFFIX,
                "multiple": self.multiple,
                "url": reverse("web:lookup", args=[self.source.name]),
                "key_words": self.source.key_words,
            }
        )
        return context


class MultipleLookupWidget(LookupWidget):
    multiple = True


class _Lookup:
    """Shared by the single and multiple fields: ids from the ticked boxes, keys from
    the text box, both resolved within the field's queryset."""

    def __init__(self, *, source: Source, **kwargs):
        self.source = source
        kwargs.setdefault("widget", self.widget_class(source))
        super().__init__(queryset=None, **kwargs)
        self.label_from_instance = source.label

    def keys(self, text: str) -> list[str]:
        keys = [k for k in SEPARATORS.split(text or "") if k]
        if len(keys) > MAX_KEYS:
            raise ValidationError(f"Name at most {MAX_KEYS} at once.", code="too_many")
        return keys

    def resolve(self, keys: list[str]) -> list:
        """The row each key names; every key that names none or several is refused,
        all of them in one message so the person fixes them at once."""
        found, unknown, ambiguous = [], [], []
        for key in keys:
            rows = self.source.by_key(self.queryset, key)
            if not rows:
                unknown.append(key)
            elif len(rows) > 1:
                ambiguous.append(key)
            else:
                found.append(rows[0])
        problems = []
        if unknown:
            problems.append(
                f"No {self.source.noun} you may choose has the {self.source.key_words} "
                f"{', '.join(unknown)}."
            )
        if ambiguous:
            problems.append(
                f"{', '.join(ambiguous)} names more than one {self.source.noun}: "
                "search by name and pick one."
            )
        if problems:
            raise ValidationError(problems, code="no_match")
        return found

    def prepare_value(self, value):
        if isinstance(value, dict):  # as posted: kept whole for the page shown again
            return value
        return super().prepare_value(value)

    def _split(self, value) -> tuple[list[str], str]:
        if isinstance(value, dict):
            return _ids(value.get("ids") or []), value.get("text") or ""
        if isinstance(value, list | tuple):
            return _ids(value), ""
        return _ids([value]), ""


class LookupField(_Lookup, forms.ModelChoiceField):
    """One row: the text box, when filled, replaces the ticked choice."""

    widget_class = LookupWidget

    def clean(self, value):
        ids, text = self._split(value)
        keys = self.keys(text)
        if len(keys) > 1:
            raise ValidationError(f"Name one {self.source.noun} only.", code="one_only")
        if keys:
            obj = self.resolve(keys)[0]
            self.run_validators(obj)
            return obj
        if len(ids) > 1:
            raise ValidationError(f"Choose one {self.source.noun} only.", code="one_only")
        if ids and whole_number(ids[0]) is None:
            # P16: an id no database holds is an invalid choice, not a server error.
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        row = super().clean(ids[0] if ids else None)
        # For the widget drawn after the check (P212): the ticked row, as found.
        self.cleaned_row = row
        return row

    def has_changed(self, initial, data):
        return True

    def named(self, data, name: str):
        """The row `data` names in this field (ticked id or typed key), or None: for a
        page that must know it before the whole form is valid (a signature bound to it)."""
        try:
            return self.clean(self.widget.value_from_datadict(data, {}, name))
        except ValidationError:
            return None


class MultipleLookupField(_Lookup, ModelMultipleIdsField):
    """Several rows: the ticked ones and those the text box names."""

    widget_class = MultipleLookupWidget

    def clean(self, value):
        ids, text = self._split(value)
        named = self.resolve(self.keys(text))
        if len(ids) > MAX_KEYS:
            raise ValidationError(f"Choose at most {MAX_KEYS} at once.", code="too_many")
        ticked = list(super().clean(ids)) if ids or not named else []
        seen, out = set(), []
        for obj in [*ticked, *named]:
            if obj.pk not in seen:
                seen.add(obj.pk)
                out.append(obj)
        if self.required and not out:
            raise ValidationError(self.error_messages["required"], code="required")
        return out

    def has_changed(self, initial, data):
        return True
