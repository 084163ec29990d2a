from django.core.paginator import Page, Paginator


def page_items(page: Page) -> list[dict]:
    """Numbered links for GOV.UK pagination (templates/includes/pagination.html):
    first, last and the current page's neighbours, with ellipses between; none
    when everything fits on one page."""
    if page.paginator.num_pages < 2:
        return []
    items = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1):
        if number == Paginator.ELLIPSIS:
            items.append({"ellipsis": True})
        else:
            items.append({"number": number, "current": number == page.number})
    return items
