from django import forms

from qualify.accounts.roles import ROLES, signing_roles
from qualify.choices import ModelChoiceField
from qualify.org.models import Client
from qualify.web.approver_signing import ApproverSigning
from qualify.web.documents.kit import LocalDateTimeField

REASON = forms.CharField(
    label="Reason", widget=forms.TextInput(attrs={"placeholder": "Why (kept in the audit trail)"})
)


class ReasonForm(forms.Form):
    reason = REASON


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=list(ROLES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = REASON


class ClientGrantForm(forms.Form):
    client = ModelChoiceField(label="Restrict to client", queryset=Client.objects.all())
    reason = REASON


class ClientRevokeForm(forms.Form):
    client = ModelChoiceField(label="Client", queryset=Client.objects.all())
    reason = REASON
    make_unrestricted = forms.BooleanField(
        label="I understand that removing the last client lets this user see every client's "
        "and the in-house records",
        required=False,
    )


class RoleExceptionForm(ApproverSigning, forms.Form):
    """U3: a QA approver signs, on the administrator's screen, an exception letting
    this account hold the administrator role beside the GxP roles named."""

    roles = forms.MultipleChoiceField(
        label="GxP roles allowed beside the administrator role",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label="Reason for the exception", widget=forms.Textarea(attrs={"rows": 2})
    )
    qa_username = forms.CharField(
        label="QA approver's user id",
        help_text="A QA approver other than you and this person signs here with their password.",
    )
    qa_password = forms.CharField(
        label="QA approver's password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(r, ROLES[r]) for r in ROLES if r in signing_roles()]


class AccessHistoryForm(forms.Form):
    user = forms.CharField(label="User id", max_length=150)
    start = LocalDateTimeField(label="From", required=False, help_text="Empty: from the start.")
    end = LocalDateTimeField(label="Until", required=False, help_text="Empty: until now.")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end of the period must be after its start.")
        return data


class AccountNewForm(forms.Form):
    """An account for a person; the person sets the password through a mailed link."""

    person = forms.CharField(
        label="Employee number",
        required=False,
        max_length=40,
        help_text="The person this login is for (from the HR feed); their name and email "
        "are used when the fields below are left empty.",
    )
    username = forms.CharField(label="User id", max_length=150)
    printed_name = forms.CharField(
        label="Full printed name", max_length=200, required=False,
        help_text="As printed on signatures.",
    )  # fmt: skip
    email = forms.EmailField(label="Email address", required=False)
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=list(ROLES.items()),
        initial=["employee"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class OnboardForm(forms.Form):
    """Accounts for every person of the HR feed without a login, by policy."""

    policy = forms.ChoiceField(label="User ids from", choices=[])
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=list(ROLES.items()),
        initial=["employee"],
        widget=forms.CheckboxSelectMultiple,
    )
    dry_run = forms.BooleanField(
        label="Only show what would be created", required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        from qualify.org.onboarding import USERNAME_POLICIES

        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = list(USERNAME_POLICIES.items())
