import pytest


@pytest.mark.requirement("P60")
def test_a_sample_that_fails():
    """A sample that fails on purpose, so the pack must say FAIL."""
    assert 1 + 1 == 3, "one and one are not three"
