"""Django's PostgreSQL backend with parameters bound on the server kept within what the
server takes: too many parameters, plans gone stale after a migration (base.py)."""
