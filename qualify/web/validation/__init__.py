"""Validation runs (P63): the runs `qualify validate` recorded, and QA's approval."""
