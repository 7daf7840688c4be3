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


def _join(query: words.Query, low=None, high=None) -> dict:
    """The arguments of QuerySet.extra that join the index to the matters and keep the matches
    (with ids in [low, high) when given: the index narrows to them itself). `index_id` is the
    matter's id as the index has it: ordering by it lets SQLite's FTS5 hand out matches newest first."""
    matter = Matter._meta.db_table
    if connection.vendor == "postgresql":
        table, key = TEXT_TABLE, f"{TEXT_TABLE}.matter_id"
        condition = f"{key} = {matter}.id AND {TEXT_TABLE}.vector @@ %s::tsquery"
        params = [tsquery(query)]
    else:
        table, key = FTS_TABLE, f"{FTS_TABLE}.rowid"
        condition = f"{key} = {matter}.id AND {FTS_TABLE} MATCH %s"
        params = [fts5_expression(query)]
    where = [condition]
    if low is not None:
        where.append(f"{key} >= %s AND {key} < %s")
        params += [low, high]
    return {"tables": [table], "where": where, "params": params, "select": {"index_id": key}}


def _ranking(query: words.Query, low) -> dict:
    """`_join` with the rank as `search_rank` (smaller is better), from id `low` on."""
    joined = _join(query, low, 1 << 62)
    if connection.vendor == "postgresql":
        joined["select"]["search_rank"] = f"-ts_rank({TEXT_TABLE}.vector, %s::tsquery)"
        joined["select_params"] = [tsquery(query)]
    else:
        joined["select"]["search_rank"] = f"{FTS_TABLE}.rank"
    return joined


def newest_matches(queryset, query: words.Query, count: int) -> list[int]:
    """The ids of the `count` newest matters of `queryset` that match, newest first. Read in
    ranges of ids going back in time, each larger than the last, so that a common word stops after
    its recent matches and a rare one reads all of them (both databases narrow the index's
    matches to an id range before they read any matter)."""
    found = queryset.extra(**_join(query))
    top = Matter.objects.order_by("-pk").values_list("pk", flat=True).first()
    if top is None:
        return []
    ids, high, span = [], top + 1, FIRST_SPAN
    while high > 0 and len(ids) < count:
        low = max(0, high - span)
        ids += (
            found.filter(pk__gte=low, pk__lt=high)
            .order_by("-pk")
            .values_list("pk", flat=True)[: count - len(ids)]
        )
        high, span = low, span * 4
    return ids


def ranked(queryset, query: words.Query):
    """The matters of `queryset` that match, best first (see the module's note on ranking). The
    rows carry `search_rank` (smaller is better)."""
    people = words.Query(id_numbers=query.id_numbers, phones=query.phones)
    found = matching(queryset, people)
    if not query.terms:
        return found.order_by("-received_at", "-id")
    window = newest_matches(found, query, RANK_WINDOW + 1)
    low = window[RANK_WINDOW - 1] if len(window) > RANK_WINDOW else 0
    return found.extra(**_ranking(query, low)).order_by("search_rank", "-id")


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
