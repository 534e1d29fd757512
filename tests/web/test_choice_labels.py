"""P185: rows made in Python name a field's choice as `get_<field>_display()` does,
from the field's labels read once (qualify.web.rendering.choice_labels): every choice
of the fields the rows show, and a value outside the choices shown as it is."""

import pytest

from qualify.documents.models import Document, DocumentVersion
from qualify.training.models import Assignment, TrainingRecord
from qualify.web.rendering import choice_labels

pytestmark = pytest.mark.requirement("P185")

SHOWN = [
    (Assignment, "reason"),
    (Assignment, "status"),
    (TrainingRecord, "method"),
    (TrainingRecord, "evidence"),
    (DocumentVersion, "status"),
    (Document, "doc_type"),
]


@pytest.mark.parametrize(("model", "name"), SHOWN, ids=lambda v: getattr(v, "__name__", v))
def test_each_choice_is_named_as_django_names_it(model, name):
    label = choice_labels(model, name)
    values = [value for value, _ in model._meta.get_field(name).flatchoices]
    assert values
    for value in [*values, "not-a-choice", "", None]:
        row = model(**{name: value})
        assert label(value) == getattr(row, f"get_{name}_display")()
    assert isinstance(label(values[0]), str)
