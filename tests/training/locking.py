"""L4 test helper: put a requirement behind a prerequisite in a curriculum the job
function requires, through the real services."""

from qualify.training import services as training
from tests.training.support import creds


def lock_behind(plant, requirement, prerequisite, job_function, *, code="PATH"):
    """`job_function` requires curriculum `code`: `prerequisite`, then `requirement`
    (which needs it). Returns the curriculum."""
    curriculum = training.curriculum_create(actor=plant.coordinator, code=code, title="Path")
    training.curriculum_item_add(
        actor=plant.coordinator, curriculum=curriculum, requirement=prerequisite
    )
    training.curriculum_item_add(
        actor=plant.coordinator,
        curriculum=curriculum,
        requirement=requirement,
        prerequisite=prerequisite,
    )
    training.matrix_entry_add(
        actor=plant.coordinator,
        job_function=job_function,
        curriculum=curriculum,
        window_days=30,
        reason="The path runs in this order",
        qa_actor=plant.qa,
        qa_credentials=creds(plant.qa),
    )
    return curriculum
