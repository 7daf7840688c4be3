"""Finding matters by their words: full-text search in Chinese on SQLite and PostgreSQL.

The words of a matter (xinfang/core/words.py: pairs of neighbouring Chinese characters, other
words whole) are a MatterText row written with the matter by `register_matter`, in the same plan
(the ORM path and the bulk path of the 台账 import and the demo alike). The databases index them:

- SQLite: the FTS5 table ``petitions_matter_fts`` (contentless, rowid = matter id), filled by
  triggers on ``petitions_mattertext`` (migration 0016); ranked by FTS5's bm25.
- PostgreSQL: the generated column ``petitions_mattertext.vector`` (``to_tsvector('simple', words)``)
  with a GIN index; ranked by ``ts_rank``.

A query (`words.parse`) is an AND of terms, each a phrase of tokens; an ID number or a phone number
finds the matters of that petitioner through the keyed hashes (never the plain text). Every search
narrows a queryset the caller has already scoped (`Matter.objects.visible_to(user)`), so nothing
outside the user's scope is ever found.

Ranking: the matches are ordered by relevance; when more than `RANK_WINDOW` visible matters match,
the newest `RANK_WINDOW` of them are ranked (an old matter that matches is still found, by paging
or narrowing the query, and `matching` always returns all of them).
"""

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from xinfang.core import words
from xinfang.core.bulk import BulkInsert

from .models import Matter, MatterText, Petitioner, id_number_hash, phone_hash

FTS_TABLE = "petitions_matter_fts"
TEXT_TABLE = MatterText._meta.db_table
RANK_WINDOW = 2000


def parse(text: str) -> words.Query:
    return words.parse(text)


def fts5_expression(query: words.Query) -> str:
    """The FTS5 MATCH expression: one phrase per term, all required."""
    phrases = []
    for term in query.terms:
        tokens = term.tokens
        prefix = tokens[-1].endswith("*")
        text = " ".join(t.rstrip("*") for t in tokens)
        phrases.append(f'"{text}"' + (" *" if prefix else ""))
    return " AND ".join(phrases)


def tsquery(query: words.Query) -> str:
    """The PostgreSQL tsquery (as text, cast by the database): phrases joined with &."""
    phrases = []
    for term in query.terms:
        parts = [f"'{t[:-1]}':*" if t.endswith("*") else f"'{t}'" for t in term.tokens]
        phrases.append("(" + " <-> ".join(parts) + ")")
    return " & ".join(phrases)


def _petitioner_q(query: words.Query) -> Q:
    """Matters of a petitioner with one of the query's ID numbers or phones (keyed hashes)."""
    keys = Q(pk__in=[])
    for value in query.id_numbers:
        keys |= Q(id_number_hash=id_number_hash(value))
    for value in query.phones:
        keys |= Q(phone_hash=phone_hash(value))
    return Q(Exists(Petitioner.objects.filter(keys, matter=OuterRef("pk"))))


def _text_ids(query: words.Query) -> RawSQL:
    """The ids of the matters whose words match every term (a subquery)."""
    if connection.vendor == "postgresql":
        sql = f"SELECT matter_id FROM {TEXT_TABLE} WHERE vector @@ %s::tsquery"  # noqa: S608
        return RawSQL(sql, [tsquery(query)])
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
    return RawSQL(sql, [fts5_expression(query)])


def matching(queryset, query: words.Query):
    """The matters of `queryset` that match the query, unordered (all of them)."""
    if not query:
        return queryset
    if query.id_numbers or query.phones:
        queryset = queryset.filter(_petitioner_q(query))
    if query.terms:
        queryset = queryset.filter(pk__in=_text_ids(query))
    return queryset


def ranked(queryset, query: words.Query):
    """The matters of `queryset` that match, best first (see the module's note on ranking). The
    rows carry `search_rank` (smaller is better)."""
    if not query.terms:
        return matching(queryset, query).order_by("-received_at", "-id")
    found = matching(queryset, words.Query(id_numbers=query.id_numbers, phones=query.phones))
    matter = Matter._meta.db_table
    if connection.vendor == "postgresql":
        condition = f"{TEXT_TABLE}.matter_id = {matter}.id AND {TEXT_TABLE}.vector @@ %s::tsquery"
        rank = f"-ts_rank({TEXT_TABLE}.vector, %s::tsquery)"
        table, params = TEXT_TABLE, [tsquery(query)]
    else:
        condition = f"{FTS_TABLE}.rowid = {matter}.id AND {FTS_TABLE} MATCH %s"
        rank = f"{FTS_TABLE}.rank"
        table, params = FTS_TABLE, [fts5_expression(query)]
    window = list(
        found.extra(tables=[table], where=[condition], params=params)
        .order_by("-id")
        .values_list("id", flat=True)[: RANK_WINDOW + 1]
    )
    if len(window) > RANK_WINDOW:
        found = found.filter(pk__gte=window[RANK_WINDOW - 1])
    return found.extra(
        tables=[table], where=[condition], params=params, select={"search_rank": rank}, select_params=params
    ).order_by("search_rank", "-id")


def highlight(text: str, query: words.Query, *, around: int | None = None):
    """`text` as (piece, is_match) pairs for the template; with `around`, only a window of about
    that many characters on either side of the first match (with … where cut)."""
    spans = words.highlight_spans(text, query.highlights)
    start, end = 0, len(text)
    if around is not None:
        first = spans[0][0] if spans else 0
        start = max(0, first - around)
        end = min(len(text), first + around * 3)
    pieces, at = [], start
    if start > 0:
        pieces.append(("…", False))
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > at:
            pieces.append((text[at:s], False))
        pieces.append((text[s:e], True))
        at = e
    if at < end:
        pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return pieces


def index_missing(batch: int = 5000, progress=None) -> int:
    """Write the words of every matter that has none (matters loaded without the write path, or
    registered before the index existed); returns how many."""
    done, last = 0, 0
    while True:
        rows = list(
            Matter.objects.filter(pk__gt=last, text_index__isnull=True)
            .order_by("pk")
            .values_list("pk", "title", "content")[:batch]
        )
        if not rows:
            return done
        with transaction.atomic():
            BulkInsert(MatterText).insert(
                [{"matter_id": pk, "words": words.index_words(title, content)} for pk, title, content in rows]
            )
        done += len(rows)
        last = rows[-1][0]
        if progress:
            progress(done)
