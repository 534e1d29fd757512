from django import forms

from qualify.training.models import AssignmentStatus
from qualify.web.documents.kit import LocalDateTimeField


class MatrixAddForm(forms.Form):
    job_function = forms.ModelChoiceField(label="Job function", queryset=None)
    requirement = forms.ModelChoiceField(label="Training requirement", queryset=None)
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


class MatrixEndForm(forms.Form):
    reason = forms.CharField(
        label="Reason for ending the entry", widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignmentFilterForm(forms.Form):
    site = forms.ModelChoiceField(label="Site", queryset=None, required=False)
    department = forms.ModelChoiceField(label="Department", queryset=None, required=False)
    job_function = forms.ModelChoiceField(label="Job function", queryset=None, required=False)
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
