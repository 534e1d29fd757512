"""Forms of the assessment pages: parse only; the services decide."""

from django import forms

from qualify.assessments import queries
from qualify.choices import ModelChoiceField
from qualify.edge import whole_number


class BankForm(forms.Form):
    text = forms.CharField(
        label="Questions (YAML or JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )
    file = forms.FileField(label="…or import a file (.yaml, .yml, .json)", required=False)
    reason = forms.CharField(label="Reason for the change", max_length=500)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > 2 * 1024 * 1024:
                raise forms.ValidationError("The file is larger than 2 MB.")
            name = upload.name.lower()
            data["fmt"] = "json" if name.endswith(".json") else "yaml"
            data["content"] = upload.read()
        elif (data.get("text") or "").strip():
            text = data["text"].lstrip()
            data["fmt"] = "json" if text.startswith(("{", "[")) else "yaml"
            data["content"] = data["text"]
        else:
            raise forms.ValidationError("Write the questions or choose a file.")
        return data


class DefineForm(forms.Form):
    requirement = ModelChoiceField(queryset=None, label="Training requirement")
    bank = ModelChoiceField(queryset=None, label="Question bank")
    per_topic = forms.CharField(
        label="Questions per topic",
        help_text="One line per topic: 'Topic: number', e.g. 'Gowning: 3'.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attempt_limit = forms.IntegerField(label="Attempt limit", required=False, min_value=1)
    time_limit_minutes = forms.IntegerField(
        label="Time limit (minutes)", required=False, min_value=1
    )
    cooldown_minutes = forms.IntegerField(
        label="Cool-down between attempts (minutes)", initial=0, min_value=0
    )
    trainer_review = forms.BooleanField(
        label="Free-text questions, reviewed by a trainer", required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from qualify.training import queries as training_queries

        self.fields["requirement"].queryset = training_queries.requirements(user).filter(
            evidence_required="assessment", active=True, assessment__isnull=True
        )
        self.fields["bank"].queryset = queries.bank_documents(user)

    def clean_per_topic(self):
        counts = {}
        for line in self.cleaned_data["per_topic"].splitlines():
            if not line.strip():
                continue
            topic, sep, number = line.rpartition(":")
            if not sep or not topic.strip() or whole_number(number) is None:
                raise forms.ValidationError(f"Write 'Topic: number', not {line.strip()!r}.")
            counts[topic.strip()] = int(number)
        if not counts:
            raise forms.ValidationError("Name at least one topic.")
        return counts


class EditForm(forms.Form):
    """Change an assessment's draw and limits (the requirement, bank and pass mark
    stay: the pass mark is the requirement's, Q8)."""

    per_topic = DefineForm.base_fields["per_topic"]
    attempt_limit = DefineForm.base_fields["attempt_limit"]
    time_limit_minutes = DefineForm.base_fields["time_limit_minutes"]
    cooldown_minutes = DefineForm.base_fields["cooldown_minutes"]
    trainer_review = DefineForm.base_fields["trainer_review"]
    active = forms.BooleanField(label="In use", required=False)
    reason = forms.CharField(
        label="Reason for the change", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    clean_per_topic = DefineForm.clean_per_topic

    @classmethod
    def initial_of(cls, assessment) -> dict:
        return {
            "per_topic": "\n".join(f"{t}: {n}" for t, n in assessment.per_topic.items()),
            "attempt_limit": assessment.attempt_limit,
            "time_limit_minutes": assessment.time_limit_minutes,
            "cooldown_minutes": assessment.cooldown_minutes,
            "trainer_review": assessment.trainer_review,
            "active": assessment.active,
        }


class ReviewForm(forms.Form):
    comment = forms.CharField(label="Comment", required=False, max_length=2000)

    def __init__(self, *args, positions=(), **kwargs):
        super().__init__(*args, **kwargs)
        for position in positions:
            self.fields[f"q{position}"] = forms.TypedChoiceField(
                label=f"Question {position}",
                choices=[("yes", "Acceptable"), ("no", "Not acceptable")],
                coerce=lambda v: v == "yes",
                widget=forms.RadioSelect,
            )

    def verdicts(self) -> dict[str, bool]:
        return {k[1:]: v for k, v in self.cleaned_data.items() if k.startswith("q")}
