"""Menu entries of this area: (label, url name, permission or None for any signed-in user)."""

NAV: list[tuple[str, str, str | None]] = [
    ("My assessments", "web:assessment_attempts", "signatures.sign_completed_assessment"),
    ("Question banks", "web:assessment_banks", "documents.manage_documents"),
    ("Assessments", "web:assessment_definitions", "assessments.manage_assessments"),
]
