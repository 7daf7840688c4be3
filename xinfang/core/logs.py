"""Logs without query strings.

A query string can carry what a person typed into a search or a form sent by GET; logs are kept
longer and read by more people than the pages themselves. So no log line holds one:

* ``RedactQueryStrings`` is a filter on the handlers of Django's logging (settings.LOGGING): every
  message that Django, Huey and the project log goes through ``redact``, exception texts included;
* ``WebLogger`` is gunicorn's logger for ``xinfang run``: its access log writes the path of each
  request without the query string (the referring page likewise), and both its logs carry the same
  filter.
"""

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

# A path (with its scheme and host when there are any) followed by "?" and the query: the query goes.
_QUERY = re.compile(r"((?:[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#\"'<>]*)?/[^\s?#\"'<>]*)\?[^\s#\"'<>]*")


def redact(text: str) -> str:
    """``text`` with the query string of every URL or path in it removed."""
    return _QUERY.sub(r"\1", text)


def _without_query(uri: str) -> str:
    return uri.split("?", 1)[0]


class RedactQueryStrings(logging.Filter):
    """Rewrites a record's message (and its exception text) with ``redact``; never drops a record."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed call: the handler reports it as a logging error, unformatted
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class WebLogger(GunicornLogger):
    """gunicorn's logger with the query strings left out (``xinfang run`` passes ``--logger-class``)."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            if not any(isinstance(f, RedactQueryStrings) for f in handler.filters):
                handler.addFilter(RedactQueryStrings())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = _without_query(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        atoms["q"] = ""
        atoms["f"] = _without_query(atoms.get("f", "-"))
        # A custom --access-logformat can name request headers ({name}i) and WSGI variables
        # ({name}e): the referring URL, the raw URI and the query string are among them.
        for key, value in atoms.items():
            if key.endswith(("}i", "}e")) and isinstance(value, str):
                atoms[key] = redact(value)
        atoms["{query_string}e"] = ""
        atoms["{raw_uri}e"] = path
        return atoms
