"""Finding matters by their words: full-text search in Chinese on SQLite and PostgreSQL.

The words of a matter (xinfang/core/words.py: pairs of neighbouring Chinese characters, other
words whole) are a MatterText row written with the matter by `register_matter`, in the same plan
(the ORM path and the bulk path of the 台账 import and the demo alike). The databases index them:

- SQLite: the FTS5 table ``petitions_matter_fts`` (contentless, rowid = matter id), filled by
  triggers on ``petitions_mattertext`` (migration 0016); ranked by FTS5's bm25.
- PostgreSQL: the generated column ``petitions_mattertext.vector`` (``to_tsvector('simple', words)``
  and the scope keys) with a GIN index; ranked by ``ts_rank``.

Beside the words, each matter's scope keys (migration 0019, docs/adr/0004): its divisions, its holder
and the units it was given to, kept by triggers. A search passes the user's keys
(`scoping.scope_keys`) so that the index returns only matches the user may see, a narrow scope's as
quickly as the city's; on SQLite the keys are a second FTS5 table, ``petitions_matter_scope_fts``.

A query (`words.parse`) is an AND of terms, each a phrase of tokens; an ID number or a phone number
finds the matters of that petitioner through the keyed hashes (never the plain text). Every search
narrows a queryset the caller has already scoped (`Matter.objects.visible_to(user)`), so nothing
outside the user's scope is ever found.

Ranking: the list shows the newest `RANK_WINDOW` visible matches, ordered by relevance; an older
match is found by narrowing the query (more words, a period, a unit); `matching` returns all of them
(the export of a search lists every match). The bound keeps a search's cost to about RANK_WINDOW matches
whatever the number of matters and, with the keys, whatever the share of them the user may see:
ranking every match of a common word in a million would cost seconds.
"""

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from xinfang.core import words
from xinfang.core.bulk import BulkInsert

from .models import Matter, MatterText, Petitioner, id_number_hash, phone_hash

FTS_TABLE = "petitions_matter_fts"
SCOPE_TABLE = "petitions_matter_scope_fts"  # SQLite: the scope keys of each matter (migration 0019)
TEXT_TABLE = MatterText._meta.db_table
RANK_WINDOW = 500  # the newest matches that are ranked
FIRST_SPAN = 20_000  # matters: the first range of ids `newest_matches` reads


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


def _text_ids(query: words.Query, low: int = 0, high: int = 1 << 62, keys=None) -> RawSQL:
    """The ids in [low, high) of the matters whose words match every term and, with `keys`
    (scoping.scope_keys), that carry one of the keys: a subquery the database runs first, so that
    only the index's matches in the range, and in the scope, are read as matter rows."""
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT matter_id FROM {TEXT_TABLE} WHERE vector @@ %s::tsquery"  # noqa: S608
            " AND matter_id >= %s AND matter_id < %s"
        )
        wanted = tsquery(query)
        if keys:
            wanted = f"({wanted}) & (" + " | ".join(f"'{key}'" for key in keys) + ")"
        return RawSQL(sql, [wanted, low, high])
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid >= %s AND rowid < %s"  # noqa: S608
    params = [fts5_expression(query), low, high]
    if keys:
        sql += (
            f" AND +rowid IN (SELECT rowid FROM {SCOPE_TABLE} WHERE {SCOPE_TABLE} MATCH %s"  # noqa: S608
            " AND rowid >= %s AND rowid < %s)"
        )
        params += [" OR ".join(f'"{key}"' for key in keys), low, high]
    return RawSQL(sql, params)


def matching(queryset, query: words.Query, keys=None):
    """The matters of `queryset` that match the query, unordered (all of them). `keys`: the scope
    keys of the user `queryset` is scoped to (scoping.scope_keys), to read fewer of the index's matches."""
    if not query:
        return queryset
    if query.id_numbers or query.phones:
        queryset = queryset.filter(_petitioner_q(query))
    if query.terms:
        queryset = queryset.filter(pk__in=_text_ids(query, keys=keys))
    return queryset


def newest_matches(queryset, query: words.Query, count: int, keys=None) -> list[int]:
    """The ids of the `count` newest matters of `queryset` that match, newest first.

    Read in ranges of ids going back in time: the first of FIRST_SPAN ids, each next one as long
    as the matches found so far say `count` needs (at least twice the last). A common word stops
    after its recent matches, a rare one or a narrow scope reads further back in few steps; each
    range costs about the index's matches in it (with `keys`, those in the scope), each checked
    against the user's scope."""
    top = Matter.objects.order_by("-pk").values_list("pk", flat=True).first()
    if top is None:
        return []
    ids, high, span = [], top + 1, FIRST_SPAN
    while high > 0 and len(ids) < count:
        low = max(0, high - span)
        # Every match in the range, sorted here: with ORDER BY and LIMIT, PostgreSQL may walk the
        # range backwards by id, reading each text row, when it guesses a rare word to be common.
        in_range = (
            queryset.filter(pk__in=_text_ids(query, low, high, keys)).order_by().values_list("pk", flat=True)
        )
        ids += sorted(in_range, reverse=True)[: count - len(ids)]
        read = top + 1 - low
        needed = (count - len(ids)) * read / len(ids) * 1.25 if ids else span * 8
        high, span = low, max(span * 2, int(needed))
    return ids


def ranked(queryset, query: words.Query, keys=None):
    """The matters of `queryset` that match, best first: the newest RANK_WINDOW matches ranked by
    relevance (see the module's note). The rows carry `search_rank` (smaller is better). `keys` as
    for `matching`."""
    people = words.Query(id_numbers=query.id_numbers, phones=query.phones)
    found = matching(queryset, people)
    if not query.terms:
        return found.order_by("-received_at", "-id")
    window = newest_matches(found, query, RANK_WINDOW, keys)
    matter = Matter._meta.db_table
    if connection.vendor == "postgresql":
        table, join, join_params = TEXT_TABLE, f"{TEXT_TABLE}.matter_id = {matter}.id", []
        rank, rank_params = f"-ts_rank({TEXT_TABLE}.vector, %s::tsquery)", [tsquery(query)]
    else:  # FTS5's bm25 of the row the MATCH is on
        join = f"{FTS_TABLE}.rowid = {matter}.id AND {FTS_TABLE} MATCH %s"
        table, join_params = FTS_TABLE, [fts5_expression(query)]
        rank, rank_params = f"{FTS_TABLE}.rank", []
    return (
        found.filter(pk__in=window)
        .extra(
            tables=[table],
            where=[join],
            params=join_params,
            select={"search_rank": rank},
            select_params=rank_params,
        )
        .order_by("search_rank", "-id")
    )


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
