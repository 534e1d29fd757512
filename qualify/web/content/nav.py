# The e-learning player is reached from the learner's assignment, not the menu.
NAV: list[tuple[str, str, str]] = []
