from django import forms

from qualify.web.documents.kit import LocalDateTimeField


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
