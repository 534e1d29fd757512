import pytest

from tests.quality.plant import Plant


@pytest.fixture
def plant_factory(admin, coordinator, doc_controller, qa):
    def make(**kw):
        return Plant(
            admin=admin, coordinator=coordinator, doc_controller=doc_controller, qa=qa, **kw
        )

    return make


@pytest.fixture
def plant(plant_factory):
    return plant_factory()
