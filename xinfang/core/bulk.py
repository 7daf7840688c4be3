"""Fast inserts of many rows of one model: the 台账 import's write path and the benchmark loader.

QuerySet.bulk_create builds a model instance per row and converts each of its values through the
field API, then builds the text of one INSERT per ~999 values; for a 60-column model that is most of
the time of a bulk write. Here each column's conversion is chosen once — the same
``field.get_db_prep_save`` (where EncryptedTextField encrypts and JSONField serialises), or the
adapter it ends in for dates — the SQL text is built once, and the rows go in with ``executemany``
(SQLite) or ``COPY`` (PostgreSQL). Plain text, integer, boolean and foreign-key values are already
what the database stores and skip the call (choice enums become their plain string value).
"""

from django.db import DEFAULT_DB_ALIAS, connections, models

from .fields import EncryptedTextField

PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


class BulkInsert:
    """Rows of one model given as {attname: value}; a missing column takes the field's default.

    Defaults are evaluated once, so a column whose default is computed per row (a callable such as
    the 查询码) must be in every row. Create one per use and thread: it holds the connection."""

    def __init__(self, model, *, with_pk=False):
        self.model = model
        self.db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the `connection` proxy is slow
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.defaults = [f.get_default() for f in fields]
        self.per_row = {f.attname for f in fields if f.has_default() and callable(f.default)}
        self.converters = [self._converter(f) for f in fields]

    def _converter(self, field):
        db = self.db
        if isinstance(field, EncryptedTextField) or not isinstance(field, PLAIN_FIELDS):
            # DateField/DateTimeField.get_db_prep_save end in these adapters; calling them
            # directly skips re-validating values that are already dates.
            if type(field) is models.DateTimeField:
                return db.ops.adapt_datetimefield_value
            if type(field) is models.DateField:
                return db.ops.adapt_datefield_value
            if type(field) is models.JSONField:  # JSONField.get_db_prep_value for a plain dict
                return lambda value, enc=field.encoder: db.ops.adapt_json_value(value, enc)
            return lambda value, f=field: f.get_db_prep_save(value, db)
        if field.choices:
            return lambda value: value if value is None or type(value) is str else str(value)
        return None

    def rows(self, dicts) -> list[list]:
        """The database values of each row, in column order."""
        pairs, converters = list(zip(self.attnames, self.defaults, strict=True)), self.converters
        out = []
        for d in dicts:
            if not self.per_row <= d.keys():
                raise ValueError(f"{self.model.__name__}: every row needs {sorted(self.per_row - d.keys())}")
            row = [d.get(n, default) for n, default in pairs]
            for i, conv in enumerate(converters):
                if conv is not None and row[i] is not None:
                    row[i] = conv(row[i])
            out.append(row)
        return out

    def insert_rows(self, rows):
        if not rows:
            return
        qn = self.db.ops.quote_name
        table, cols = qn(self.model._meta.db_table), ", ".join(qn(c) for c in self.columns)
        with self.db.cursor() as cur:
            if self.db.vendor == "postgresql":
                with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608

    def insert(self, dicts):
        self.insert_rows(self.rows(dicts))
