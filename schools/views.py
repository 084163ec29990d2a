"""The school directory and the school page."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from hubportal.accounts.models import Role
from hubportal.accounts.roles import has_role, role_required
from hubportal.forms import page_of
from hubportal.notices import selectors as notice_selectors
from hubportal.pagination import page_items
from schools.forms import SORT_CHOICES, DirectoryFilterForm
from schools.models import School
from schools.selectors import (
    can_filter_by_hub,
    directory_options,
    school_directory,
    school_people,
)

_web_address = URLValidator(schemes=["http", "https"])

# Who may look schools up across their hub (or, for national admins, every hub).
DIRECTORY_ROLES = (Role.HUB_LEAD, Role.NATIONAL_ADMIN, Role.SPECIALIST)

# The table's sortable columns: (sort key, heading, numeric).
SORTABLE_COLUMNS = [
    ("name", "Name", False),
    ("urn", "URN", True),
    ("la", "Local authority", False),
    ("phase", "Phase", False),
    ("status", "Status", False),
    ("pupils", "Pupils", True),
]


def _columns(query: dict[str, str], sort: str) -> list[dict]:
    """Each heading links to its own order; the current one links to its reverse."""
    current_key = sort.removeprefix("-")
    descending = sort.startswith("-")
    columns = []
    for key, label, numeric in SORTABLE_COLUMNS:
        is_current = key == current_key
        next_sort = f"-{key}" if is_current and not descending else key
        columns.append(
            {
                "label": label,
                "numeric": numeric,
                "params": {**query, "sort": next_sort},
                "aria_sort": ("descending" if descending else "ascending") if is_current else "",
                "next_is_descending": next_sort.startswith("-"),
            }
        )
    return columns


@role_required(*DIRECTORY_ROLES)
def directory(request):
    """Schools the person may see, searched, filtered, sorted and paged on the server."""
    options = directory_options(request.user)
    form = DirectoryFilterForm(request.GET, options=options)
    # htmx asks for the results alone; restoring history after a cache miss
    # needs the whole page.
    fragment = bool(request.htmx) and not request.htmx.history_restore_request
    if not form.is_valid() and fragment:
        # The fragment has no room for an error beside its field: load the whole page.
        return HttpResponseClientRedirect(request.get_full_path())
    filters = form.filters()
    schools = school_directory(request.user, filters)
    page = page_of(schools, request)
    query = form.query_params()
    context = {
        "form": form,
        "page": page,
        "query": query,
        "columns": _columns(query, filters.sort),
        "sort_label": dict(SORT_CHOICES).get(filters.sort, ""),
        "page_items": page_items(page),
        "show_hub": can_filter_by_hub(request.user),
        "is_filtered": any(v for k, v in query.items() if k != "sort"),
        "fragment": fragment,
    }
    template = "schools/directory.html#results" if fragment else "schools/directory.html"
    response = render(request, template, context)
    # The same address serves a page and a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _website_url(website: str) -> str:
    """A link for the school's website; GIAS often leaves off the scheme. Anything
    that is not a web address (say, "javascript:...") is shown but not linked."""
    website = website.strip()
    if not website:
        return ""
    if not website.lower().startswith(("http://", "https://")):
        website = f"https://{website}"
    try:
        _web_address(website)
    except ValidationError:
        return ""
    return website


@role_required(Role.HEADTEACHER, Role.HUB_LEAD, Role.SPECIALIST, Role.NATIONAL_ADMIN)
def detail(request, urn: int):
    """A school as GIAS records it, and the portal's people for it."""
    school = get_object_or_404(
        School.objects.visible_to(request.user).select_related("hub"), urn=urn
    )
    return render(
        request,
        "schools/detail.html",
        {
            "school": school,
            "website_url": _website_url(school.website),
            "people": school_people(school),
            "can_use_directory": has_role(request.user, *DIRECTORY_ROLES),
            **_notices_sent(request.user, school),
        },
    )


def _notices_sent(user, school) -> dict:
    """For the hub's leads and national admins: the latest mails to the school's people."""
    if not has_role(user, Role.HUB_LEAD, Role.NATIONAL_ADMIN):
        return {}
    return {
        "notices": notice_selectors.for_school(user, school),
        "notices_url": notice_selectors.school_notices_url(school),
    }
