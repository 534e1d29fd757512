import pytest

from tests.training.support import Plant


@pytest.fixture
def plant(admin, coordinator, doc_controller, qa, trainer):
    return Plant(
        admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa, trainer=trainer
    )
