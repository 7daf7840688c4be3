"""The scope rule's keys beside each matter's words, so that a narrow scope's search asks the index
for the matters it may see instead of checking every match of a word (xinfang/cases/scoping.py,
`scope_keys`; xinfang/petitions/search.py).

`petitions_mattertext.scope` holds a matter's keys: ``_d<code>`` for its division and every division
above it, ``_h<id>`` for its holder unit and every unit above, ``_u<id>`` for every unit it was given
to and every unit above (the unit paths are the ids of the units from the top down, the division
paths their codes). The database keeps the column, not the application: triggers recompute it when
a text row is written, when the matter's division or holder changes, when a link row is written and
when a unit's or a division's path changes. It is not a field of the model, so nothing Django
writes can overwrite it with an old value.

The index: on SQLite a second contentless FTS5 table over the keys (``_`` kept inside a token); on
PostgreSQL the keys join the words' tsvector (a key has ``_``, which no word of a query has).
"""

from django.db import migrations

# The keys of the matter with id `{m}` (SQLite).
SQLITE_KEYS = (
    "(SELECT '_d' || replace(trim(d.path, '/'), '/', ' _d') || ' _h' || replace(trim(u.path, '/'), '/', ' _h')"
    " || coalesce((SELECT ' ' || group_concat('_u' || replace(trim(l.unit_path, '/'), '/', ' _u'), ' ')"
    " FROM petitions_matterunit l WHERE l.matter_id = m.id), '')"
    " FROM petitions_matter m JOIN org_division d ON d.id = m.division_id"
    " JOIN org_unit u ON u.id = m.holder_unit_id WHERE m.id = {m})"
)


def sqlite_rekey(where: str) -> str:
    keys = SQLITE_KEYS.format(m="petitions_mattertext.matter_id")
    return f"UPDATE petitions_mattertext SET scope = coalesce({keys}, '') WHERE {where};"


WORDS_UPDATE = (
    "CREATE TRIGGER petitions_mattertext_fts_update AFTER UPDATE {of}ON petitions_mattertext BEGIN "
    "INSERT INTO petitions_matter_fts(petitions_matter_fts, rowid, words) "
    "VALUES ('delete', old.matter_id, old.words); "
    "INSERT INTO petitions_matter_fts(rowid, words) VALUES (new.matter_id, new.words); END"
)

SQLITE = [
    "ALTER TABLE petitions_mattertext ADD COLUMN scope text NOT NULL DEFAULT ''",
    # The words' index is written again only when the words change, not the keys.
    "DROP TRIGGER petitions_mattertext_fts_update",
    WORDS_UPDATE.format(of="OF words, matter_id "),
    sqlite_rekey("1"),
    "CREATE VIRTUAL TABLE petitions_matter_scope_fts USING fts5(scope, content='', "
    "tokenize=\"unicode61 tokenchars '_'\")",
    "INSERT INTO petitions_matter_scope_fts(rowid, scope) SELECT matter_id, scope FROM petitions_mattertext",
    # A new text row: its keys into the index, then its keys computed (the update trigger swaps them).
    "CREATE TRIGGER petitions_mattertext_scope_insert AFTER INSERT ON petitions_mattertext BEGIN "
    "INSERT INTO petitions_matter_scope_fts(rowid, scope) VALUES (new.matter_id, new.scope); "
    + sqlite_rekey("id = new.id")
    + " END",
    "CREATE TRIGGER petitions_mattertext_scope_update AFTER UPDATE OF scope ON petitions_mattertext "
    "BEGIN INSERT INTO petitions_matter_scope_fts(petitions_matter_scope_fts, rowid, scope) "
    "VALUES ('delete', old.matter_id, old.scope); "
    "INSERT INTO petitions_matter_scope_fts(rowid, scope) VALUES (new.matter_id, new.scope); END",
    "CREATE TRIGGER petitions_mattertext_scope_delete AFTER DELETE ON petitions_mattertext BEGIN "
    "INSERT INTO petitions_matter_scope_fts(petitions_matter_scope_fts, rowid, scope) "
    "VALUES ('delete', old.matter_id, old.scope); END",
    # A text row written before its matter (a bulk plan may) gets its keys when the matter comes.
    "CREATE TRIGGER petitions_matter_scope_new AFTER INSERT ON petitions_matter BEGIN "
    + sqlite_rekey("matter_id = new.id")
    + " END",
    "CREATE TRIGGER petitions_matter_scope_moved AFTER UPDATE OF division_id, holder_unit_id "
    "ON petitions_matter WHEN old.division_id IS NOT new.division_id "
    "OR old.holder_unit_id IS NOT new.holder_unit_id BEGIN " + sqlite_rekey("matter_id = new.id") + " END",
    "CREATE TRIGGER petitions_matterunit_scope_insert AFTER INSERT ON petitions_matterunit BEGIN "
    + sqlite_rekey("matter_id = new.matter_id")
    + " END",
    "CREATE TRIGGER petitions_matterunit_scope_update AFTER UPDATE ON petitions_matterunit BEGIN "
    + sqlite_rekey("matter_id IN (old.matter_id, new.matter_id)")
    + " END",
    "CREATE TRIGGER petitions_matterunit_scope_delete AFTER DELETE ON petitions_matterunit BEGIN "
    + sqlite_rekey("matter_id = old.matter_id")
    + " END",
    "CREATE TRIGGER org_unit_scope_path AFTER UPDATE OF path ON org_unit WHEN old.path IS NOT new.path "
    "BEGIN "
    + sqlite_rekey("matter_id IN (SELECT id FROM petitions_matter WHERE holder_unit_id = new.id)")
    + " END",
    "CREATE TRIGGER org_division_scope_path AFTER UPDATE OF path ON org_division "
    "WHEN old.path IS NOT new.path BEGIN "
    + sqlite_rekey("matter_id IN (SELECT id FROM petitions_matter WHERE division_id = new.id)")
    + " END",
]
SQLITE_UNDO = [
    "DROP TRIGGER org_division_scope_path",
    "DROP TRIGGER org_unit_scope_path",
    "DROP TRIGGER petitions_matterunit_scope_delete",
    "DROP TRIGGER petitions_matterunit_scope_update",
    "DROP TRIGGER petitions_matterunit_scope_insert",
    "DROP TRIGGER petitions_matter_scope_moved",
    "DROP TRIGGER petitions_matter_scope_new",
    "DROP TRIGGER petitions_mattertext_scope_delete",
    "DROP TRIGGER petitions_mattertext_scope_update",
    "DROP TRIGGER petitions_mattertext_scope_insert",
    "DROP TABLE petitions_matter_scope_fts",
    "DROP TRIGGER petitions_mattertext_fts_update",
    WORDS_UPDATE.format(of=""),
    "ALTER TABLE petitions_mattertext DROP COLUMN scope",
]

POSTGRES = [
    "ALTER TABLE petitions_mattertext ADD COLUMN scope text NOT NULL DEFAULT ''",
    """CREATE FUNCTION petitions_matter_scope(bigint) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT '_d' || replace(btrim(d.path, '/'), '/', ' _d') || ' _h' || replace(btrim(u.path, '/'), '/', ' _h')
            || coalesce((SELECT ' ' || string_agg('_u' || replace(btrim(l.unit_path, '/'), '/', ' _u'), ' ')
                         FROM petitions_matterunit l WHERE l.matter_id = m.id), '')
        FROM petitions_matter m JOIN org_division d ON d.id = m.division_id
        JOIN org_unit u ON u.id = m.holder_unit_id WHERE m.id = $1 $$""",
    """CREATE FUNCTION petitions_mattertext_scope_new() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.scope := coalesce(petitions_matter_scope(NEW.matter_id), ''); RETURN NEW; END $$""",
    """CREATE FUNCTION petitions_matter_rekey() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'petitions_matter' THEN
                UPDATE petitions_mattertext SET scope = coalesce(petitions_matter_scope(matter_id), '')
                WHERE matter_id = NEW.id;
            ELSIF TG_TABLE_NAME = 'petitions_matterunit' THEN
                UPDATE petitions_mattertext SET scope = coalesce(petitions_matter_scope(matter_id), '')
                WHERE matter_id IN (
                    CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.matter_id END,
                    CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.matter_id END);
            ELSIF TG_TABLE_NAME = 'org_unit' THEN
                UPDATE petitions_mattertext SET scope = petitions_matter_scope(matter_id)
                WHERE matter_id IN (SELECT id FROM petitions_matter WHERE holder_unit_id = NEW.id);
            ELSE
                UPDATE petitions_mattertext SET scope = petitions_matter_scope(matter_id)
                WHERE matter_id IN (SELECT id FROM petitions_matter WHERE division_id = NEW.id);
            END IF;
            RETURN NULL;
        END $$""",
    "CREATE TRIGGER petitions_mattertext_scope_new BEFORE INSERT ON petitions_mattertext "
    "FOR EACH ROW EXECUTE FUNCTION petitions_mattertext_scope_new()",
    "CREATE TRIGGER petitions_matter_scope_new AFTER INSERT ON petitions_matter "
    "FOR EACH ROW EXECUTE FUNCTION petitions_matter_rekey()",
    "CREATE TRIGGER petitions_matter_scope_moved AFTER UPDATE OF division_id, holder_unit_id "
    "ON petitions_matter FOR EACH ROW WHEN (OLD.division_id IS DISTINCT FROM NEW.division_id "
    "OR OLD.holder_unit_id IS DISTINCT FROM NEW.holder_unit_id) EXECUTE FUNCTION petitions_matter_rekey()",
    "CREATE TRIGGER petitions_matterunit_scope AFTER INSERT OR UPDATE OR DELETE ON petitions_matterunit "
    "FOR EACH ROW EXECUTE FUNCTION petitions_matter_rekey()",
    "CREATE TRIGGER org_unit_scope_path AFTER UPDATE OF path ON org_unit FOR EACH ROW "
    "WHEN (OLD.path IS DISTINCT FROM NEW.path) EXECUTE FUNCTION petitions_matter_rekey()",
    "CREATE TRIGGER org_division_scope_path AFTER UPDATE OF path ON org_division FOR EACH ROW "
    "WHEN (OLD.path IS DISTINCT FROM NEW.path) EXECUTE FUNCTION petitions_matter_rekey()",
    # The index: the words and the keys in one tsvector (a generated column cannot change its
    # expression, so it is made again, after the keys are filled).
    "DROP INDEX petitions_mattertext_vector_idx",
    "ALTER TABLE petitions_mattertext DROP COLUMN vector",
    "UPDATE petitions_mattertext SET scope = coalesce(petitions_matter_scope(matter_id), '')",
    "ALTER TABLE petitions_mattertext ADD COLUMN vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words) || scope::tsvector) STORED",
    "CREATE INDEX petitions_mattertext_vector_idx ON petitions_mattertext USING gin (vector)",
]
POSTGRES_UNDO = [
    "DROP TRIGGER org_division_scope_path ON org_division",
    "DROP TRIGGER org_unit_scope_path ON org_unit",
    "DROP TRIGGER petitions_matterunit_scope ON petitions_matterunit",
    "DROP TRIGGER petitions_matter_scope_moved ON petitions_matter",
    "DROP TRIGGER petitions_matter_scope_new ON petitions_matter",
    "DROP TRIGGER petitions_mattertext_scope_new ON petitions_mattertext",
    "DROP FUNCTION petitions_matter_rekey()",
    "DROP FUNCTION petitions_mattertext_scope_new()",
    "DROP FUNCTION petitions_matter_scope(bigint)",
    "DROP INDEX petitions_mattertext_vector_idx",
    "ALTER TABLE petitions_mattertext DROP COLUMN vector",
    "ALTER TABLE petitions_mattertext DROP COLUMN scope",
    "ALTER TABLE petitions_mattertext ADD COLUMN vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED",
    "CREATE INDEX petitions_mattertext_vector_idx ON petitions_mattertext USING gin (vector)",
]


def run(statements):
    def apply(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0018_two_level_parent"),
        ("org", "0007_division_centre"),
    ]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRES_UNDO}),
        ),
    ]
