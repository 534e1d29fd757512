"""For the tests of rows made in Python: the same context rendered by a page's former
template text and by the part of its template file as it is now."""

import re
from pathlib import Path

from django.template import engines

TEMPLATES = Path(__file__).parents[2] / "qualify/web/templates"
TABLE = r'<div class="scroll"><table>.*</table></div>'
BODY = r"<tbody>.*</tbody>"


def before_and_now(before: str, template: str, part: str, context: dict) -> tuple[str, str]:
    """(`before` rendered, the first match of `part` in web template `template` rendered),
    both with qualify_tags loaded as the page loads them."""
    now = re.search(part, (TEMPLATES / template).read_text(), re.S)
    render = engines["django"].from_string
    return render(before).render(context), render("{% load qualify_tags %}" + now[0]).render(
        context
    )
