"""Authoring light (issue 15): the document controller's pages to build a course of
pages with an assessment, download it as a cmi5 or SCORM 2004 package for another LMS,
and publish it as a new version of its package document. Thin: each view parses a
form and calls one service of qualify.content.authoring."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qualify.assessments.for_export import bank_questions
from qualify.content import authoring, queries
from qualify.web.content.forms import (
    CourseChangeForm,
    CourseForm,
    PageChangeForm,
    PageForm,
    PublishForm,
    ReasonForm,
)
from qualify.web.employee.common import add_errors


def courses(request):
    form = CourseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            course = authoring.course_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Course {course.title!r} created; add its pages.")
            return redirect("web:content_course", pk=course.pk)
    return render(
        request,
        "web/content/courses.html",
        {"courses": queries.courses(request.user), "form": form},
        status=422 if form.errors else 200,
    )


def _course_page(request, course, *, status=200, **forms):
    initial = {
        "title": course.title,
        "description": course.description,
        "bank": course.bank_id,
        "pass_mark": course.pass_mark,
    }
    context = {
        "course": course,
        "pages": authoring.live_pages(course),
        "course_form": forms.get("course_form")
        or CourseChangeForm(initial=initial, user=request.user),
        "page_form": forms.get("page_form") or PageForm(user=request.user),
        "publish_form": forms.get("publish_form") or PublishForm(),
        "versions": course.package_document.versions.order_by("-sequence")
        if course.package_document_id
        else [],
        "standards": authoring.STANDARDS,
    }
    return render(request, "web/content/course.html", context, status=status)


def course(request, pk: int):
    """The course: its pages, its settings (POST changes them), export and publish."""
    course = queries.course_of(request.user, pk)
    if request.method != "POST":
        return _course_page(request, course)
    form = CourseChangeForm(request.POST, user=request.user)
    if form.is_valid():
        changes = dict(form.cleaned_data)
        reason = changes.pop("reason")
        try:
            authoring.course_update(actor=request.user, course=course, reason=reason, **changes)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Course changed.")
            return redirect("web:content_course", pk=course.pk)
    return _course_page(request, course, status=422, course_form=form)


@require_POST
def page_add(request, pk: int):
    course = queries.course_of(request.user, pk)
    form = PageForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        try:
            authoring.page_add(actor=request.user, course=course, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Page {form.cleaned_data['title']!r} added.")
            return redirect("web:content_course", pk=course.pk)
    return _course_page(request, course, status=422, page_form=form)


def page(request, pk: int):
    """Change one page (GET shows the form)."""
    page = queries.page_of(request.user, pk)
    if page.removed_at is not None:
        raise Http404("This page was removed.")
    initial = {
        "title": page.title,
        "text": page.text,
        "image_alt": page.image_alt,
        "image_source": page.image_source_id,
    }
    form = PageChangeForm(
        request.POST or None, request.FILES or None, initial=initial, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if (
            fields.get("image_source") is not None
            and fields["image_source"].pk == page.image_source_id
        ):
            fields["image_source"] = None  # unchanged
        try:
            authoring.page_update(actor=request.user, page=page, **fields)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Page {page.title!r} changed.")
            return redirect("web:content_course", pk=page.course_id)
    return render(
        request,
        "web/content/course_page.html",
        {"page": page, "course": page.course, "form": form, "remove_form": ReasonForm()},
        status=422 if form.errors else 200,
    )


@require_POST
def page_remove(request, pk: int):
    page = queries.page_of(request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            authoring.page_remove(actor=request.user, page=page, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, f"Page {page.title!r} removed (kept in the audit trail).")
        return redirect("web:content_course", pk=page.course_id)
    messages.error(request, "Give a reason to remove a page.")
    return redirect("web:content_course_page", pk=page.pk)


@require_POST
def page_move(request, pk: int):
    page = queries.page_of(request.user, pk)
    try:
        authoring.page_move(actor=request.user, page=page, up=request.POST.get("direction") == "up")
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("web:content_course", pk=page.course_id)


def page_image(request, pk: int):
    """A page's image for the author's preview, served as the type its bytes proved."""
    page = queries.page_of(request.user, pk)
    source = page.image_source.file if page.image_source_id else page.image
    if not source or not page.image_type:
        raise Http404("This page has no image.")
    response = FileResponse(source.open("rb"), content_type=page.image_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def export(request, pk: int):
    """Download the course as a package for another LMS (changes nothing)."""
    course = queries.course_of(request.user, pk)
    try:
        package, name = authoring.course_export(
            actor=request.user,
            course=course,
            standard=request.GET.get("standard", ""),
            questions_for=bank_questions,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("web:content_course", pk=course.pk)
    response = HttpResponse(package, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def publish(request, pk: int):
    course = queries.course_of(request.user, pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version = authoring.course_publish(
                actor=request.user, course=course, questions_for=bank_questions, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Published as {version}: a draft of {version.document.number}; submit it for "
                "review and approval like any package.",
            )
            return redirect("web:document_version", pk=version.pk)
    return _course_page(request, course, status=422, publish_form=form)
