from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "qualify.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        from qualify.training import actions  # noqa: F401
