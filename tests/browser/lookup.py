"""Filling a lookup field (qualify.web.lookup) in the browser: type, then pick a match."""


def pick(page, label: str, typed: str, match: str | None = None, *, keyboard: bool = False):
    """Type `typed` into the lookup labelled `label` and pick the match whose text
    contains `match` (default: `typed`), with the mouse or with the arrow keys."""
    # htmx is a deferred script: it listens for typing only once the document has
    # loaded, and a box filled before then never asks the server (seen under CI load).
    page.wait_for_load_state("domcontentloaded")
    box = page.get_by_label(label, exact=True)
    box.fill(typed)
    options = page.locator(f"#{box.get_attribute('id')}-options [role=option]")
    wanted = options.filter(has_text=match or typed).first
    wanted.wait_for()
    if keyboard:
        for _ in range(options.all_inner_texts().index(wanted.inner_text()) + 1):
            box.press("ArrowDown")
        box.press("Enter")
    else:
        wanted.click()
    page.locator(f"#{box.get_attribute('id')}-chosen").get_by_text(match or typed).wait_for()
