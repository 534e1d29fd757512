from django import forms

from qualify.accounts.roles import ROLES
from qualify.org.models import Client

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
    client = forms.ModelChoiceField(label="Restrict to client", queryset=Client.objects.all())


class ClientRevokeForm(forms.Form):
    client = forms.ModelChoiceField(label="Client", queryset=Client.objects.all())
    reason = REASON
    make_unrestricted = forms.BooleanField(
        label="I understand that removing the last client lets this user see every client's "
        "and the in-house records",
        required=False,
    )
