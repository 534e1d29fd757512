"""Django's PostgreSQL backend with one change: a statement with more parameters than
PostgreSQL's protocol takes is sent with its parameters bound by the client."""
