"""The OPTIONS the settings give a database address, with one environment variable set
(or, None, unset): what a process started with them would connect with."""

from qualify import settings as qualify_settings

PG = "postgres://postgres@127.0.0.1:5432/qualify"


def database_options(monkeypatch, url: str, variable: str, value: str | None) -> dict:
    monkeypatch.setenv("QUALIFY_PROBE_DATABASE_URL", url)
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    return qualify_settings._database("QUALIFY_PROBE_DATABASE_URL").get("OPTIONS", {})
