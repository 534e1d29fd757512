"""Forms of the organisation pages. They check shape only; the rules (unique codes
whatever their case, valid time zones, retired rows, intervals) are the services',
whose refusals are put back on the field that caused them."""

from django import forms

from qualify.choices import ModelChoiceField
from qualify.edge import ModelMultipleIdsField
from qualify.org.models import GatePolicy
from qualify.web.documents.kit import LocalDateTimeField
from qualify.web.lookup import queries as lookup
from qualify.web.lookup.fields import LookupField

REASON = forms.CharField(
    label="Reason for the change",
    max_length=500,
    widget=forms.TextInput(attrs={"autocomplete": "off"}),
)


class ReasonForm(forms.Form):
    reason = REASON


class SiteForm(forms.Form):
    code = forms.CharField(max_length=20)
    name = forms.CharField(max_length=200)
    time_zone = forms.CharField(
        max_length=64,
        help_text="IANA name, e.g. Europe/Dublin or America/New_York.",
        widget=forms.TextInput(attrs={"list": "zones", "autocomplete": "off"}),
    )
    gate_policy = forms.ChoiceField(
        choices=GatePolicy.choices, label="When an unqualified person does the work"
    )
    allow_untrained_documents = forms.BooleanField(
        required=False, label="A document with no training defined does not stop the gate"
    )
    late_entry_hours = forms.IntegerField(
        min_value=0, max_value=10000, initial=72, label="Late entry after (hours)"
    )


class SiteChangeForm(SiteForm):
    reason = REASON

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class DepartmentForm(forms.Form):
    site = ModelChoiceField(queryset=None)
    code = forms.CharField(max_length=20)
    name = forms.CharField(max_length=200)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class CodeNameForm(forms.Form):
    code = forms.CharField(max_length=20)
    name = forms.CharField(max_length=200)


class NameChangeForm(forms.Form):
    name = forms.CharField(max_length=200)
    reason = REASON


class JobFunctionForm(forms.Form):
    code = forms.CharField(max_length=40)
    name = forms.CharField(max_length=200)
    site = ModelChoiceField(queryset=None, required=False, empty_label="All sites")
    department = LookupField(source=lookup.DEPARTMENTS, required=False)
    client = ModelChoiceField(queryset=None, required=False, empty_label="In-house")
    frameworks = ModelMultipleIdsField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, sites, departments, clients, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["department"].queryset = departments
        self.fields["client"].queryset = clients
        self.fields["frameworks"].queryset = frameworks


class JobFunctionChangeForm(JobFunctionForm):
    reason = REASON


class PersonForm(forms.Form):
    employee_number = forms.CharField(max_length=40)
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False)
    site = ModelChoiceField(queryset=None)
    department = LookupField(source=lookup.DEPARTMENTS, required=False)
    employed_from = LocalDateTimeField(required=False, help_text="Leave empty for now.")

    def __init__(self, *args, sites, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["department"].queryset = departments


class JobChangeForm(forms.Form):
    ending = ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="None (an additional job)",
        label="Job that ends when the new one starts",
    )
    job_function = LookupField(source=lookup.JOB_FUNCTIONS, label="New job function")
    effective = LocalDateTimeField(label="Effective from")
    reason = REASON

    def __init__(self, *args, ending, job_functions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ending"].queryset = ending
        self.fields["job_function"].queryset = job_functions


class ManagerForm(forms.Form):
    manager = LookupField(
        source=lookup.PEOPLE, required=False, help_text="Untick the current manager for none."
    )
    reason = REASON

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = people


class LeaveForm(forms.Form):
    left_at = LocalDateTimeField(required=False, label="Left at", help_text="Leave empty for now.")
    reason = REASON
