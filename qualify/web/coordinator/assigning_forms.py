"""Forms of the coordinator's ad-hoc assignment, cancellation and record-correction
pages."""

from django import forms

from qualify.choices import ModelChoiceField
from qualify.web.documents.kit import LocalDateTimeField
from qualify.web.lookup import queries as lookup
from qualify.web.lookup.fields import LookupField


class AdHocForm(forms.Form):
    document = LookupField(
        source=lookup.OPEN_DOCUMENTS,
        label="Document",
        required=False,
        help_text="Every training requirement linked to it.",
    )
    curriculum = ModelChoiceField(label="Or a curriculum", queryset=None, required=False)
    requirement = LookupField(
        source=lookup.REQUIREMENTS, label="Or one training requirement", required=False
    )
    people = forms.CharField(
        label="People",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Employee numbers or user ids, separated by commas, spaces or lines.",
    )
    job_function = LookupField(
        source=lookup.JOB_FUNCTIONS,
        label="And/or everyone holding the job function",
        required=False,
    )
    due_at = LocalDateTimeField(label="Due by")
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: regulatory submission team for the new filing line.",
    )

    def __init__(self, *args, documents, curricula, requirements, job_functions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents
        self.fields["curriculum"].queryset = curricula
        self.fields["requirement"].queryset = requirements
        self.fields["job_function"].queryset = job_functions

    def clean(self):
        data = super().clean()
        chosen = [n for n in ("document", "curriculum", "requirement") if data.get(n)]
        if len(chosen) != 1:
            self.add_error(
                "document" if not chosen else chosen[1],
                "Choose exactly one: a document, a curriculum or a requirement.",
            )
        if not (data.get("people") or "").strip() and not data.get("job_function"):
            self.add_error("people", "Name at least one person or choose a job function.")
        return data

    def keys(self) -> list[str]:
        raw = self.cleaned_data.get("people") or ""
        return [k for k in raw.replace(",", " ").split() if k]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CorrectionForm(forms.Form):
    """R1: the corrected values (empty: unchanged), the reason, and the trainee's
    signature when someone else enters the correction."""

    reason = forms.CharField(
        label="Reason for the correction",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    document_version = ModelChoiceField(
        label="Document version read", queryset=None, required=False
    )
    attested_at = LocalDateTimeField(label="Training took place at", required=False)
    completed_at = LocalDateTimeField(label="Completed at", required=False)
    trainer = ModelChoiceField(label="Trainer", queryset=None, required=False)
    score = forms.DecimalField(
        label="Score (%)", required=False, min_value=0, max_value=100, decimal_places=2
    )
    evidence_file = forms.FileField(label="Evidence file", required=False)
    notes = forms.CharField(
        label="Notes", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    trainee_username = forms.CharField(
        label="Trainee's user id", required=False, help_text="The trainee signs the correction."
    )
    trainee_password = forms.CharField(
        label="Trainee's password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, correctable, versions, trainers, trainee_signs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_version"].queryset = versions
        self.fields["trainer"].queryset = trainers
        for name in ("document_version", "attested_at", "completed_at", "trainer", "score"):
            if name not in correctable:
                del self.fields[name]
        for name in ("evidence_file", "notes"):
            if name not in correctable:
                del self.fields[name]
        if not trainee_signs:
            del self.fields["trainee_username"]
            del self.fields["trainee_password"]
        self.trainee_signs = trainee_signs

    def corrected(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "document_version",
                "attested_at",
                "completed_at",
                "trainer",
                "score",
                "evidence_file",
                "notes",
            )
            if name in self.fields and data.get(name) not in (None, "")
        }

    def clean(self):
        data = super().clean()
        if not self.errors and not self.corrected():
            self.add_error(None, "Enter at least one corrected value.")
        if self.trainee_signs:
            for name in ("trainee_username", "trainee_password"):
                if not data.get(name):
                    self.add_error(name, "The trainee signs the correction: enter it here.")
        return data
