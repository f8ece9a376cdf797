"""manage.py load_corpus PATH.jsonl | --demo: load evidence documents into the local search index."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.management.import_errors import import_errors_reported
from search import corpus
from search.backends.local import corpus_index_build
from search.services import corpus_load


class Command(BaseCommand):
    help = (
        "Load evidence documents (JSONL: url, title, text, source, optional published, provenance, "
        "about) idempotently and all-or-nothing: on bad input nothing is written and every bad "
        "row is listed. --demo loads the LIAR-PLUS demo corpus (PolitiFact ruling text; demo only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, metavar="PATH.jsonl")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="load the demo corpus built from data/liar-plus (fact-checker text: demo only)",
        )

    def handle(self, *args, paths, demo, **options):
        if not paths and not demo:
            raise CommandError("Give one or more JSONL files, or --demo.")
        sources = [(path, corpus.parse_jsonl) for path in paths]
        if demo:
            folder = Path(settings.BASE_DIR) / "data" / "liar-plus"
            sources += [
                (folder / name, corpus.liar_plus_documents) for name in corpus.LIAR_PLUS_FILES
            ]
        for path, parse in sources:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            parsed = parse(path)
            with import_errors_reported(path, verb="loaded"):
                if parsed.errors:
                    raise ValidationError([str(error) for error in parsed.errors])
                summary = corpus_load(rows=parsed.rows)
            self.stdout.write(self.style.SUCCESS(f"{path.name}: {summary}"))
        # Build the search index now, so that the first worker's search does not wait for it.
        self.stdout.write(f"search index: {corpus_index_build()} documents")
