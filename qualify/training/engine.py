"""The qualification engine: Q1–Q8 answered at an instant, optionally as known at another.

PUBLIC API (implemented by the engine work; other modules code against these names):

    qualification(person, requirement, *, at, as_known_at=None) -> RequirementAnswer
    document_qualification(person, document, *, at, as_known_at=None) -> DocumentAnswer
    check_many(pairs, *, at, as_known_at=None) -> list[DocumentAnswer]   # (person, document)
    is_qualified(person, requirement, *, at, as_known_at=None) -> bool
    required_requirements(person, *, at, as_known_at=None) -> dict[int, list[RequiredBecause]]
    is_compliant(person, *, at) -> bool
"""



def qualification(person, requirement, *, at, as_known_at=None):
    raise NotImplementedError


def document_qualification(person, document, *, at, as_known_at=None):
    raise NotImplementedError


def check_many(pairs, *, at, as_known_at=None):
    raise NotImplementedError


def is_qualified(person, requirement, *, at, as_known_at=None) -> bool:
    raise NotImplementedError


def required_requirements(person, *, at, as_known_at=None):
    raise NotImplementedError


def is_compliant(person, *, at) -> bool:
    raise NotImplementedError
