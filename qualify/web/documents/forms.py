from django import forms

from qualify.choices import ModelChoiceField, ModelMultipleChoiceField
from qualify.documents.models import DocumentType
from qualify.web.documents.kit import LocalDateTimeField
from qualify.web.lookup import queries as lookup
from qualify.web.lookup.fields import LookupField


class RevisionForm(forms.Form):
    revision = forms.CharField(label="Revision", max_length=20)
    change_summary = forms.CharField(
        label="Change summary", widget=forms.Textarea(attrs={"rows": 3})
    )
    retraining_required = forms.TypedChoiceField(
        label="Retraining decision",
        choices=[
            ("yes", "Retraining required: everyone required to train on it is assigned"),
            ("no", "Editorial change: no retraining (justify below)"),
        ],
        coerce=lambda v: v == "yes",
        initial="yes",
        widget=forms.RadioSelect,
    )
    editorial_justification = forms.CharField(
        label="Justification for no retraining",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(label="File (PDF, image, or plain text or Markdown)", required=False)
    content_text = forms.CharField(
        label="Or the text of the revision",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(label="Review comment", required=False)


class ApproveForm(forms.Form):
    effective_from = LocalDateTimeField(
        label="Effective from",
        required=False,
        help_text="Empty means now. A past date needs a reason.",
    )
    reason = forms.CharField(
        label="Reason for a past effective date",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    window_exception_reason = forms.CharField(
        label="QA window exception (only when the date falls inside the training window)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason for withdrawing", widget=forms.Textarea(attrs={"rows": 2})
    )


class ObsoleteForm(forms.Form):
    obsolete_from = LocalDateTimeField(
        label="Obsolete from",
        required=False,
        help_text="Empty means now. Its last revision stops being in force then.",
    )
    reason = forms.CharField(
        label="Reason for making it obsolete", widget=forms.Textarea(attrs={"rows": 2})
    )


class NewDocumentForm(forms.Form):
    """A new controlled document and its first version (a draft, then review and
    approval like any revision)."""

    doc_type = forms.ChoiceField(label="Document type", choices=DocumentType.choices)
    number = forms.CharField(
        label="Number",
        max_length=40,
        required=False,
        help_text="Empty: the next number of the type's scheme (such as SOP-001).",
    )
    title = forms.CharField(label="Title", max_length=300)
    owner = LookupField(source=lookup.DOCUMENT_OWNERS, label="Owner")
    site = ModelChoiceField(label="Site", queryset=None, required=False, empty_label="all sites")
    client = ModelChoiceField(label="Client", queryset=None, required=False, empty_label="in-house")
    frameworks = ModelMultipleChoiceField(
        label="Frameworks", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    review_interval_months = forms.IntegerField(
        label="Periodic review every (months)",
        min_value=1,
        max_value=120,
        required=False,
        help_text="Empty: no periodic review.",
    )
    revision = forms.CharField(label="First revision", max_length=20, initial="1")
    change_summary = forms.CharField(
        label="Summary", required=False, initial="First issue.", max_length=2000
    )
    file = forms.FileField(label="File (PDF, image, or plain text or Markdown)", required=False)
    content_text = forms.CharField(
        label="Or the text of the document",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args, owners, sites, clients, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["site"].queryset = sites
        self.fields["client"].queryset = clients
        self.fields["frameworks"].queryset = frameworks


class PeriodicReviewForm(forms.Form):
    comment = forms.CharField(
        label="What was checked",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Why the document is still right as it is.",
    )


class ReviewRevisionForm(RevisionForm):
    """Start a new revision from the periodic review."""

    comment = forms.CharField(
        label="What the review found",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )

    field_order = ["comment"]
