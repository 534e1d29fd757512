"""P186: the accounts table's rows are made in Python
(qualify.web.administration.user_rows) with the markup the template gave, byte for
byte: the user id linked, the printed name, the roles (or "none"), deactivated, locked
or active, the clients (or "all") and whether the account may sign; text escaped."""

import pytest
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone

from qualify.accounts.models import User
from qualify.org import services as org
from qualify.org.models import ClientAccess
from qualify.web.administration.queries import users, with_roles_and_clients
from tests.personas import make_user

pytestmark = [pytest.mark.requirement("P186"), pytest.mark.django_db]

# The table as web/administration/_users_table.html was before its rows were made in
# Python.
TEMPLATE = """{% load qualify_tags %}<table class="list" id="users-table">
  <thead><tr><th scope="col">User id</th><th scope="col">Name</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col">Clients</th><th scope="col">May sign</th></tr></thead>
  <tbody>{% for u in users %}
  <tr>
    <td><a href="{% url 'web:admin_user' u.pk %}">{{ u.username }}</a></td>
    <td>{{ u.printed_name }}</td>
    <td>{% for g in u.groups.all %}{{ g.name }}{% if not forloop.last %}, {% endif %}{% empty %}<span class="muted">none</span>{% endfor %}</td>
    <td>{% if not u.is_active %}<span class="badge">deactivated</span>{% elif u.locked_at %}<span class="badge bad">locked</span>{% else %}<span class="badge good">active</span>{% endif %}</td>
    <td>{% for a in u.client_access.all %}{{ a.client.code }}{% if not forloop.last %}, {% endif %}{% empty %}<span class="muted">all</span>{% endfor %}</td>
    <td>{% if u.may_sign %}yes{% else %}<span class="muted">no</span>{% endif %}</td>
  </tr>{% empty %}<tr><td colspan="6" class="muted">No user matches.</td></tr>{% endfor %}</tbody>
  {% if page.paginator.num_pages > 1 %}<tfoot><tr><td colspan="6">{% include "web/coordinator/_pager.html" %}</td></tr></tfoot>{% endif %}
</table>
"""  # noqa: E501


def _both(rows):
    """The former template over the accounts with their groups and client access
    prefetched (sorted, as the rows show them), the template now over the same
    accounts read as the page reads them."""
    prefetched = User.objects.filter(pk__in=[u.pk for u in rows]).prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name")),
        Prefetch(
            "client_access",
            queryset=ClientAccess.objects.select_related("client").order_by("client__code"),
        ),
    )
    by_pk = {u.pk: u for u in prefetched}
    page = {"page": None}
    before = (
        engines["django"]
        .from_string(TEMPLATE)
        .render({**page, "users": [by_pk[u.pk] for u in rows]})
    )
    after = render_to_string(
        "web/administration/_users_table.html", {**page, "users": with_roles_and_clients(rows)}
    )
    return before, after


def test_the_rows_are_the_templates_markup_byte_for_byte(admin):
    make_user("signer", "employee", "qa_approver", printed_name='Ann <O\'Neil> & "Co"')
    make_user("unverified", may_sign=False)
    User.objects.filter(pk=make_user("locked", "employee").pk).update(locked_at=timezone.now())
    User.objects.filter(pk=make_user("gone", "employee").pk).update(is_active=False)
    restricted = make_user("restricted", "employee", "training_coordinator")
    for code in ("ACM", "B<2>"):
        client = org.client_create(actor=admin, code=code, name=code)
        org.client_access_grant(actor=admin, user=restricted, client=client, reason="work")
    before, after = _both(list(users()))
    assert after == before
    assert after.count("<tr>") == 1 + User.objects.count()
    assert "Ann &lt;O&#x27;Neil&gt; &amp; &quot;Co&quot;" in after
    assert "ACM, B&lt;2&gt;" in after
    assert "employee, qa_approver" in after
    for shown in ("deactivated", "locked", '<span class="muted">none</span>', "employee, "):
        assert shown in after


def test_no_rows_say_so_as_before():
    before, after = _both([])
    assert after == before
    assert "No user matches." in after


@pytest.mark.requirement("P201")
def test_a_page_of_accounts_reads_their_roles_and_clients_in_one_statement(
    admin, django_assert_num_queries
):
    for n in range(3):
        make_user(f"reader{n}", "employee", "qa_approver")
    rows = list(users())
    with django_assert_num_queries(1):
        shown = with_roles_and_clients(rows)
    assert {u.username: u.role_names for u in shown}["reader2"] == ["employee", "qa_approver"]
