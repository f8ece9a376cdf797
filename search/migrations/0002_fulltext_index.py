"""Full-text index on search_document: a generated tsvector + GIN on PostgreSQL, FTS5 on SQLite."""

from django.db import migrations

# Title terms weigh more than body terms (A vs B); the column maintains itself on every write.
POSTGRES_FORWARD = [
    """
    ALTER TABLE search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(text, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX search_document_search_vector ON search_document USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_document_search_vector",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS search_vector",
]

# External-content FTS5 table kept in step with search_document by triggers (SQLite FTS5 docs,
# "external content tables"); porter stemming to match PostgreSQL's English stemmer.
SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE search_document_fts USING fts5(
        title, text, content='search_document', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN
        INSERT INTO search_document_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END
    """,
    """
    CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN
        INSERT INTO search_document_fts(search_document_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END
    """,
    """
    CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN
        INSERT INTO search_document_fts(search_document_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO search_document_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END
    """,
    "INSERT INTO search_document_fts(search_document_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_document_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_evidence_search"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
