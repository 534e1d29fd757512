import datetime as dt

from django import forms


class SessionForm(forms.Form):
    attested_at = forms.DateTimeField(
        label="When the training took place",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Local time of your site; never in the future.",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def attested(self, zone: str) -> dt.datetime:
        from qualify.web.employee.common import aware

        return aware(self.cleaned_data["attested_at"], zone)


class ChecklistForm(SessionForm):
    def __init__(self, *args, items: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for i, item in enumerate(items):
            self.fields[f"item_{i}"] = forms.BooleanField(label=item, required=False)

    @property
    def checklist_ok(self) -> bool:
        return all(self.cleaned_data.get(f"item_{i}") for i in range(len(self.items)))

    def item_fields(self):
        return [self[f"item_{i}"] for i in range(len(self.items))]
