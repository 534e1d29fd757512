import pytest

from qualify.accounts import roles
from tests.personas import make_user


@pytest.fixture
def record(db):
    """A GxP record to sign: an account is an audited record like any other."""
    return make_user("subject", roles.EMPLOYEE, printed_name="Sam Subject")


@pytest.fixture
def author_approver(db):
    """One person holding both the authoring and the approving permission."""
    return make_user(
        "dual",
        roles.EMPLOYEE,
        roles.DOCUMENT_CONTROLLER,
        roles.QA_APPROVER,
        printed_name="Dee Dual",
    )
