"""The administrator's page for the identity providers (issue 16): what is in force
and where it comes from, and the form that changes what the environment does not
fix. Thin: `provider_settings.overview` reads, `provider_settings.settings_update`
writes (administrator only, reason, audited)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from qualify.identity import provider_settings as ps

SECTIONS = (
    ("oidc", "OpenID Connect"),
    ("saml", "SAML 2.0"),
    ("policy", "Accounts, roles and passwords"),
)


class ProviderSettingsForm(forms.Form):
    """One field per setting not fixed by the environment, named as the setting."""

    reason = forms.CharField(
        label="Reason for the change",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args, rows: list[ps.Row], **kwargs):
        super().__init__(*args, **kwargs)
        for row in rows:
            if row.source == "environment":
                continue
            item = row.setting
            field: forms.Field
            if item.kind == "bool":
                field = forms.BooleanField(required=False, initial=bool(row.value))
            elif item.kind == "choice":
                field = forms.ChoiceField(choices=item.choices, initial=row.value)
            elif item.kind in ("list", "pairs"):
                field = forms.CharField(
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    initial="\n".join(row.value or []),
                )
            else:
                field = forms.CharField(required=False, max_length=2000, initial=row.value)
            field.label = item.label
            field.help_text = item.help
            self.fields[item.name] = field
        self.order_fields([*(n for n in self.fields if n != "reason"), "reason"])

    def changes(self) -> dict:
        return {n: v for n, v in self.cleaned_data.items() if n != "reason"}


def provider_settings(request):
    rows = ps.overview()
    form = ProviderSettingsForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            changed = ps.settings_update(
                actor=request.user, changes=form.changes(), reason=form.cleaned_data["reason"]
            )
        except PermissionDenied:
            raise
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    target = name if name in form.fields else None
                    for e in errors:
                        form.add_error(target, e.messages)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                f"Saved: {', '.join(changed)}." if changed else "Nothing changed.",
            )
            return redirect("identity:settings")
    sections = [
        (
            label,
            [r for r in rows if r.setting.section == key],
            [
                form[r.setting.name]
                for r in rows
                if r.setting.section == key and r.setting.name in form.fields
            ],
        )
        for key, label in SECTIONS
    ]
    return render(
        request,
        "identity/settings.html",
        {"sections": sections, "form": form},
        status=422 if form.errors else 200,
    )
