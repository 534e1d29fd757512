from django import forms

from qualify.choices import FilterChoiceField, ModelChoiceField
from qualify.training.models import AssignmentStatus, Evidence, Method
from qualify.web.approver_signing import ApproverSigning
from qualify.web.documents.kit import LocalDateTimeField
from qualify.web.lookup import queries as lookup
from qualify.web.lookup.fields import LookupField


class MatrixAddForm(ApproverSigning, forms.Form):
    job_function = LookupField(source=lookup.JOB_FUNCTIONS, label="Job function")
    requirement = LookupField(source=lookup.REQUIREMENTS, label="Training requirement")
    valid_from = LocalDateTimeField(
        label="Required from", required=False, help_text="Empty means now."
    )
    window_days = forms.IntegerField(label="Training window (days)", min_value=1, initial=30)
    reason = forms.CharField(
        label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2})
    )
    qa_username = forms.CharField(
        label="QA approver's user id",
        help_text="A QA approver other than you approves the change here, with their own password.",
    )
    qa_password = forms.CharField(
        label="QA approver's password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, job_functions, requirements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job_function"].queryset = job_functions
        self.fields["requirement"].queryset = requirements


class MatrixEndForm(ApproverSigning, forms.Form):
    valid_to = LocalDateTimeField(
        label="Required until", required=False, help_text="Empty means now."
    )
    reason = forms.CharField(
        label="Reason for ending the entry", widget=forms.Textarea(attrs={"rows": 2})
    )
    qa_username = forms.CharField(
        label="QA approver's user id",
        help_text="A QA approver other than you approves the end here, with their own password.",
    )
    qa_password = forms.CharField(
        label="QA approver's password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


# Issue 18: the filters choose a job function by search (a lookup field), not from a
# select of every job function: a large plant has hundreds, rendered on every view.


class AssignmentFilterForm(forms.Form):
    site = FilterChoiceField(label="Site", queryset=None, required=False)
    department = FilterChoiceField(label="Department", queryset=None, required=False)
    job_function = LookupField(source=lookup.JOB_FUNCTIONS, label="Job function", required=False)
    status = forms.ChoiceField(
        label="Status", choices=[("", "any"), *list(AssignmentStatus.choices)], required=False
    )
    overdue = forms.ChoiceField(
        label="Overdue",
        choices=[("", "any"), ("yes", "overdue only"), ("no", "not overdue")],
        required=False,
    )
    due_before = forms.DateField(
        label="Due before", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, sites, departments, job_functions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["department"].queryset = departments
        self.fields["job_function"].queryset = job_functions


class MatrixFilterForm(forms.Form):
    """Issue 18: the matrix page shows a filtered, paginated part of the grid."""

    site = FilterChoiceField(label="Site", queryset=None, required=False)
    department = FilterChoiceField(label="Department", queryset=None, required=False)
    framework = FilterChoiceField(label="Framework", queryset=None, required=False)
    job_function = LookupField(source=lookup.JOB_FUNCTIONS, label="Job function", required=False)

    def __init__(self, *args, sites, departments, frameworks, job_functions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["department"].queryset = departments
        self.fields["framework"].queryset = frameworks
        self.fields["job_function"].queryset = job_functions


class RequirementForm(forms.Form):
    """Q3, Q8: what can be trained and recorded, and what a record must show."""

    code = forms.CharField(label="Code", max_length=60, help_text="Like RU-SOP-014.")
    title = forms.CharField(label="Title", max_length=300)
    method = forms.ChoiceField(label="Training method", choices=Method.choices)
    document = LookupField(
        source=lookup.OPEN_DOCUMENTS,
        label="Document",
        required=False,
        help_text="Read-and-understand needs one; records are then bound to its versions.",
    )
    recurrence_months = forms.IntegerField(
        label="Retraining every (months)",
        min_value=1,
        required=False,
        help_text="Empty: the training does not recur.",
    )
    grace_days = forms.IntegerField(
        label="Grace after expiry (days)",
        min_value=0,
        max_value=365,
        required=False,
        help_text="Q10: the person stays qualified (in grace) this long after expiry while "
        "retraining is open. Empty or 0: none.",
    )
    evidence_required = forms.ChoiceField(
        label="Evidence of understanding",
        choices=[("", "The method's default"), *Evidence.choices],
        required=False,
    )
    pass_mark = forms.DecimalField(
        label="Pass mark (%)",
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text="Only when an assessment is required.",
    )
    trainer_requirement = LookupField(
        source=lookup.REQUIREMENTS,
        label="Trainer must be qualified on",
        required=False,
        help_text="Classroom and on-the-job only.",
    )
    checklist = forms.CharField(
        label="Practical checklist",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="On-the-job only: one item a line.",
    )

    def __init__(self, *args, documents, requirements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents
        self.fields["trainer_requirement"].queryset = requirements


class CurriculumForm(forms.Form):
    code = forms.CharField(label="Code", max_length=60, help_text="Like CUR-ASEPTIC.")
    title = forms.CharField(label="Title", max_length=300)


class CurriculumItemForm(forms.Form):
    requirement = ModelChoiceField(label="Requirement to add", queryset=None)
    position = forms.IntegerField(
        label="Position", min_value=1, required=False, help_text="Empty: after the others."
    )
    prerequisite = ModelChoiceField(
        label="Prerequisite",
        queryset=None,
        required=False,
        help_text="An earlier item of this curriculum that must be completed first.",
    )

    def __init__(self, *args, requirements, earlier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].queryset = requirements
        self.fields["prerequisite"].queryset = earlier
