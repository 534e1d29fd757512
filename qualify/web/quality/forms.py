from django import forms

from qualify.choices import ModelChoiceField
from qualify.quality.models import (
    ActionKind,
    CapaSource,
    DeviationCategory,
    EffectivenessCheck,
    Risk,
    RootCause,
)
from qualify.web.documents.kit import LocalDateTimeField
from qualify.web.lookup import queries as lookup
from qualify.web.lookup.fields import LookupField, MultipleLookupField


class CloseForm(forms.Form):
    comment = forms.CharField(label="Closing comment", required=False)


CLIENT_HELP = (
    "The client the record concerns. Empty: the client of what it involves, else in-house work."
)


def _client_field() -> ModelChoiceField:
    return ModelChoiceField(
        label="Client", queryset=None, required=False, empty_label="—", help_text=CLIENT_HELP
    )


class _ClientChoice:
    """U2: the client a quality record concerns, chosen among the user's clients."""

    def set_clients(self, clients) -> None:
        if clients is None:
            self.fields.pop("client", None)
        else:
            self.fields["client"].queryset = clients


class CapaForm(_ClientChoice, forms.Form):
    number = forms.CharField(label="CAPA number", help_text="Like CAPA-2026-007.")
    client = _client_field()
    source = forms.ChoiceField(label="Source", choices=CapaSource.choices)
    source_reference = forms.CharField(label="Source reference", required=False)
    problem_statement = forms.CharField(
        label="Problem statement", widget=forms.Textarea(attrs={"rows": 3})
    )
    root_cause_category = forms.ChoiceField(label="Root cause category", choices=RootCause.choices)
    root_cause = forms.CharField(
        label="Root cause", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    deviation = LookupField(
        source=lookup.DEVIATIONS,
        label="Deviation",
        required=False,
        help_text="For a CAPA raised from a deviation: the deviation it comes from.",
    )

    def __init__(self, *args, clients=None, deviations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_clients(clients)
        self.fields["deviation"].queryset = deviations

    def clean(self):
        data = super().clean()
        if data.get("source") == CapaSource.DEVIATION and not data.get("deviation"):
            self.add_error("deviation", "Choose the deviation this CAPA is raised from.")
        return data


class ActionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=[(ActionKind.CORRECTIVE, "Corrective"), (ActionKind.PREVENTIVE, "Preventive")],
        help_text="Training actions are raised by QA with the requirement and people to retrain.",
    )
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 2}))
    owner = LookupField(source=lookup.ACCOUNTS, label="Owner")
    due_at = LocalDateTimeField(label="Due")

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class CompleteForm(forms.Form):
    comment = forms.CharField(
        label="Verification comment", widget=forms.Textarea(attrs={"rows": 2})
    )


class ChangeControlForm(_ClientChoice, forms.Form):
    number = forms.CharField(label="Change control number", help_text="Like CC-2026-031.")
    title = forms.CharField(label="Title", max_length=300)
    description = forms.CharField(
        label="Description of the change", widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2})
    )
    risk = forms.ChoiceField(label="Risk", choices=Risk.choices)
    risk_assessment = forms.CharField(
        label="Risk assessment", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    site = ModelChoiceField(label="Site", queryset=None, required=False, empty_label="all")
    client = _client_field()
    affected_documents = MultipleLookupField(
        source=lookup.OPEN_DOCUMENTS, label="Affected documents", required=False
    )
    affected_job_functions = MultipleLookupField(
        source=lookup.JOB_FUNCTIONS, label="Affected job functions", required=False
    )
    planned_effective_date = forms.DateField(
        label="Planned effective date", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, sites, documents, job_functions, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_clients(clients)
        self.fields["site"].queryset = sites
        self.fields["affected_documents"].queryset = documents
        self.fields["affected_job_functions"].queryset = job_functions


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class LinkRevisionForm(forms.Form):
    version = ModelChoiceField(
        label="Revision made under this change",
        queryset=None,
        help_text="Revisions of the affected documents that are not yet linked to a change.",
    )

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: (
            f"{v.document.number} rev {v.revision} ({v.get_status_display().lower()})"
        )


class DeviationForm(_ClientChoice, forms.Form):
    number = forms.CharField(
        label="Deviation number",
        required=False,
        help_text="Empty: the next number of the year (DEV-2026-0001).",
    )
    site = ModelChoiceField(label="Site", queryset=None)
    client = _client_field()
    occurred_at = LocalDateTimeField(label="When it happened", help_text="Not in the future.")
    description = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 3}))
    batch = forms.CharField(label="Batch", required=False, max_length=80)
    category = forms.ChoiceField(
        label="Category",
        choices=DeviationCategory.choices,
        initial=DeviationCategory.OTHER,
        required=False,
        help_text="What kind of failure: deviations of one kind are counted for recurrence.",
    )
    people = MultipleLookupField(source=lookup.PEOPLE, label="People involved", required=False)
    documents = MultipleLookupField(
        source=lookup.DOCUMENTS, label="Documents involved", required=False
    )

    def __init__(self, *args, sites, people, documents, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_clients(clients)
        self.fields["site"].queryset = sites
        self.fields["people"].queryset = people
        self.fields["documents"].queryset = documents


class TrainingActionForm(forms.Form):
    """G5: retrain people (or every holder of job functions) on a requirement."""

    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 2}))
    requirement = LookupField(source=lookup.REQUIREMENTS, label="Requirement to retrain")
    people = MultipleLookupField(source=lookup.PEOPLE, label="People to retrain", required=False)
    job_functions = MultipleLookupField(
        source=lookup.JOB_FUNCTIONS,
        label="Job functions to retrain",
        required=False,
        help_text="Every current holder is assigned.",
    )
    owner = LookupField(source=lookup.ACCOUNTS, label="Owner")
    due_at = LocalDateTimeField(label="Due")
    effectiveness_check = forms.ChoiceField(
        label="Effectiveness check", choices=EffectivenessCheck.choices
    )
    effectiveness_requirement = LookupField(
        source=lookup.REQUIREMENTS,
        label="Requirement that proves effectiveness",
        required=False,
        help_text="Assessment or observation: empty means the requirement retrained.",
    )
    review_on = LocalDateTimeField(
        label="Effectiveness review on",
        required=False,
        help_text="Only for a review on a later date.",
    )

    def __init__(self, *args, requirements, people, job_functions, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].queryset = requirements
        self.fields["effectiveness_requirement"].queryset = requirements
        self.fields["people"].queryset = people
        self.fields["job_functions"].queryset = job_functions
        self.fields["owner"].queryset = owners


class QaReviewForm(forms.Form):
    comment = forms.CharField(
        label="Why retraining alone is an effective correction",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EffectivenessReviewForm(forms.Form):
    effective = forms.TypedChoiceField(
        label="Was the retraining effective?",
        choices=[("yes", "Effective"), ("no", "Not effective")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="What the review found", widget=forms.Textarea(attrs={"rows": 3})
    )
