"""Forms of the authoring pages (issue 15, authoring light): parse only; the services
in qualify.content.authoring decide."""

from django import forms

from qualify.choices import ModelChoiceField
from qualify.content import queries
from qualify.content.authoring import STANDARDS


class CourseForm(forms.Form):
    title = forms.CharField(label="Title", max_length=300)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    bank = ModelChoiceField(
        label="Assessment from the question bank",
        queryset=None,
        required=False,
        empty_label="No assessment",
        help_text="The bank's version in force when the course is exported is used.",
    )
    pass_mark = forms.DecimalField(
        label="Pass mark (%)", min_value=0, max_value=100, decimal_places=2, initial=80
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = queries.course_banks(user)


class CourseChangeForm(CourseForm):
    reason = forms.CharField(label="Reason for the change", max_length=500)


class PageForm(forms.Form):
    title = forms.CharField(label="Page title", max_length=200, required=False)
    text = forms.CharField(
        label="Text (Markdown)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Paragraphs, **bold**, lists and links; HTML is shown as text.",
    )
    image = forms.FileField(label="Image (PNG, JPEG, GIF or WebP)", required=False)
    image_source = ModelChoiceField(
        label="…or an image from a controlled document",
        queryset=None,
        required=False,
        empty_label="None",
    )
    image_alt = forms.CharField(label="Image description (for screen readers)", required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image_source"].queryset = queries.image_versions(user)
        self.fields["image_source"].label_from_instance = lambda v: (
            f"{v.document.number} rev {v.revision}: {v.document.title}"
        )


class PageChangeForm(PageForm):
    remove_image = forms.BooleanField(label="Remove the image", required=False)
    reason = forms.CharField(label="Reason for the change", max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500)


class PublishForm(forms.Form):
    standard = forms.ChoiceField(label="Standard", choices=list(STANDARDS.items()))
    revision = forms.CharField(label="Revision", max_length=20)
    change_summary = forms.CharField(
        label="What changed", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WaiveForm(forms.Form):
    """cmi5 9.3.8: an AU waived with one of cmi5's reasons and a written justification."""

    au = forms.ChoiceField(label="AU to waive")
    reason = forms.ChoiceField(label="cmi5 reason")
    justification = forms.CharField(
        label="Justification (kept in the audit trail)",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, aus=(), **kwargs):
        super().__init__(*args, **kwargs)
        from qualify.content.cmi5 import WAIVE_REASONS

        self.fields["au"].choices = [(a["item"], a["title"] or a["item"]) for a in aus]
        self.fields["reason"].choices = [(r, r) for r in WAIVE_REASONS]
