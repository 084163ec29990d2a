"""Small helpers every app's views share."""

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(items, request, size: int | None = None, *, count: int | None = None) -> Page:
    """The page of ``items`` that ``?page=`` asks for (the last one if it asks too far),
    ``PAGE_SIZE`` to a page unless told otherwise. ``count``, when the caller has
    already counted the rows (with its totals, say), saves the paginator's COUNT."""
    paginator = Paginator(items, size or PAGE_SIZE)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def add_service_errors(form, error: ValidationError, rename: dict[str, str] | None = None):
    """A service's ValidationError beside the field it names (``rename`` maps a service's
    name to the form's), or at the top of the form when it names none the form has."""
    rename = rename or {}
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            name = rename.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
