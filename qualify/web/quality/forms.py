from django import forms

from qualify.quality.models import ActionKind, CapaSource, RootCause
from qualify.web.documents.kit import LocalDateTimeField


class CloseForm(forms.Form):
    comment = forms.CharField(label="Closing comment", required=False)


class CapaForm(forms.Form):
    number = forms.CharField(label="CAPA number", help_text="Like CAPA-2026-007.")
    source = forms.ChoiceField(label="Source", choices=CapaSource.choices)
    source_reference = forms.CharField(label="Source reference", required=False)
    problem_statement = forms.CharField(
        label="Problem statement", widget=forms.Textarea(attrs={"rows": 3})
    )
    root_cause_category = forms.ChoiceField(label="Root cause category", choices=RootCause.choices)
    root_cause = forms.CharField(
        label="Root cause", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=[(ActionKind.CORRECTIVE, "Corrective"), (ActionKind.PREVENTIVE, "Preventive")],
        help_text="Training actions are raised by QA with the requirement and people to retrain.",
    )
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label="Owner", queryset=None)
    due_at = LocalDateTimeField(label="Due")

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: f"{u.printed_name} ({u.username})"


class CompleteForm(forms.Form):
    comment = forms.CharField(
        label="Verification comment", widget=forms.Textarea(attrs={"rows": 2})
    )
