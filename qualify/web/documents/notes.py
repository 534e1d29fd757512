"""Document control's "what changed and why" per section of a version (L3)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from qualify.documents import queries
from qualify.documents.redline import sections, version_text
from qualify.documents.services.notes import MAX_NOTE, section_note_set
from qualify.web.documents.kit import show_errors


class SectionNoteForm(forms.Form):
    section = forms.CharField(
        max_length=200,
        help_text="The section's heading in the text.",
        widget=forms.TextInput(attrs={"list": "headings"}),
    )
    note = forms.CharField(
        max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3}), label="What changed and why"
    )
    reason = forms.CharField(
        max_length=500, required=False, help_text="Needed when replacing an existing note."
    )


def version_notes(request, pk: int):
    version = get_object_or_404(queries.versions(request.user), pk=pk)
    form = SectionNoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                section_note_set(actor=request.user, version=version, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                show_errors(exc, form)
            else:
                messages.success(request, f"Note saved for {form.cleaned_data['section']}.")
                return redirect("web:document_version_notes", pk=version.pk)
        status = 422
    text = version_text(version) or ""
    headings = [title for title, _ in sections(text)]
    return render(
        request,
        "web/documents/version_notes.html",
        {
            "version": version,
            "notes": version.section_notes.select_related("author"),
            "headings": headings,
            "form": form,
        },
        status=status,
    )
