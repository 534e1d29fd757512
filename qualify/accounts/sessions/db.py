"""Django's database session engine, its session read compiled once (P209)."""

from django.contrib.sessions.backends import db

from qualify.accounts.sessions import CompiledSessionRead


class SessionStore(CompiledSessionRead, db.SessionStore):
    pass
