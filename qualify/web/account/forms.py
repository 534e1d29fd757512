from django import forms

PASSWORD = forms.PasswordInput(attrs={"autocomplete": "current-password"})
NEW_PASSWORD = forms.PasswordInput(attrs={"autocomplete": "new-password"})


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="Current password", strip=False, widget=PASSWORD)
    new_password = forms.CharField(label="New password", strip=False, widget=NEW_PASSWORD)
    new_password_again = forms.CharField(
        label="New password again", strip=False, widget=NEW_PASSWORD
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ.")
        return data


class OtpConfirmForm(forms.Form):
    token = forms.CharField(
        label="Code shown by the app",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class AcknowledgeForm(forms.Form):
    password = forms.CharField(label="Password", strip=False, widget=PASSWORD)
