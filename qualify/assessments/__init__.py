"""Assessments as controlled content (L1, L2): question banks are controlled documents,
assessments draw from the bank version in force, attempts are scored on the server and
signed by the trainee."""
