"""The coordinator's job functions page at scale (issue 18, P167): 50 job functions a
page in code order, every one on exactly one page, with their counts, in queries that
do not grow with the job functions."""

import re

import pytest
from django.urls import reverse

from qualify.org.models import JobFunction
from tests.training.engine_history import History, day
from tests.web.query_counts import fewest_queries

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("P167")]


def codes_on(page) -> list[str]:
    return re.findall(r"<tr><td>([^<]+)</td>", page.content.decode())


def test_fifty_functions_a_page_each_on_one_page_in_code_order(client, coordinator):
    h = History()
    functions = [h.function(f"JF{n:03d}") for n in range(1, 56)]
    holder = functions[52]  # on the second page: its count comes with it
    h.job(h.person(), holder, start=day(-10))
    client.force_login(coordinator)
    url = reverse("web:coordinator_job_functions")
    first, first_queries = fewest_queries(client, url)
    second, second_queries = fewest_queries(client, url, {"page": 2})
    assert first.status_code == second.status_code == 200
    shown = codes_on(first) + codes_on(second)
    assert len(codes_on(first)) == 50
    assert shown == sorted(JobFunction.objects.values_list("code", flat=True))
    assert "Page 2 of 2 (55 rows)" in second.content.decode()
    assert f'?job_function={holder.pk}">1</a>' in second.content.decode()
    assert first_queries == second_queries


@pytest.mark.requirement("P201")
def test_each_row_names_its_frameworks_sorted_and_escaped(client, coordinator):
    from qualify.org.models import Framework

    h = History()
    tagged, bare = h.function("JF-TAGGED"), h.function("JF-BARE")
    for code in ("ISO<13485>", "GMP", "GCP"):
        tagged.frameworks.add(Framework.objects.create(code=code, name=code))
    client.force_login(coordinator)
    page = client.get(reverse("web:coordinator_job_functions")).content.decode()
    row = {code: cells for code, cells in re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", page, re.S)}
    assert "<td>GCP, GMP, ISO&lt;13485&gt;</td>" in row["JF-TAGGED"]
    assert "\n    <td></td>" in row[bare.code]
