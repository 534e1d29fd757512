"""Django's cached database session engine (with Redis), its database read compiled
once (P209)."""

from django.contrib.sessions.backends import cached_db

from qualify.accounts.sessions import CompiledSessionRead


class SessionStore(CompiledSessionRead, cached_db.SessionStore):
    pass
