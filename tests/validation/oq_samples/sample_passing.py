import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.requirement("P60")
def test_a_sample_that_passes():
    """The sample requirement holds.

    Steps: add one and one; the sum is two."""
    assert 1 + 1 == 2


@pytest.mark.requirement("P62")
@settings(max_examples=25, database=None)
@given(st.integers())
def test_a_sample_property(n):
    """Adding zero changes no integer (a property, 25 examples)."""
    assert n + 0 == n
