"""Evidence corpus and research logs: queries, result lists as shown, clicks, evidence selections."""

from django.db import models
from django.db.models import Q

from assessments.models import Assignment, Statement


class Document(models.Model):
    """One document of the local evidence corpus (full-text indexed by the database, see local.py)."""

    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=500)
    text = models.TextField()
    source = models.CharField(
        max_length=500,
        help_text="Who published the text (a domain or URL); the batch blocklist applies to it too.",
    )
    provenance = models.TextField(blank=True, help_text="Where the text comes from, and its terms.")
    published = models.DateField(null=True, blank=True)
    about = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text='The claim this text judges (e.g. "liar:7159.json"); never shown for that claim.',
    )
    # Indexed: the search index's freshness check reads MAX(loaded_at) on every query.
    loaded_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class SearchQuery(models.Model):
    """One search a worker ran for one statement, with how it was answered."""

    class Status(models.TextChoices):
        OK = "ok"
        FAILED = "failed", "provider failed"

    # No index of its own: the (assignment, statement) index below serves lookups by assignment,
    # and every search writes one index entry fewer.
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="searches", db_index=False
    )
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="searches")
    text = models.CharField(max_length=500, help_text="The query as sent to the provider.")
    page = models.PositiveSmallIntegerField(default=1)
    provider = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OK)
    error = models.CharField(max_length=500, blank=True)
    cache_hit = models.BooleanField(default=False)
    latency_ms = models.FloatField(help_text="Server time to answer, cache and provider included.")
    blocked_count = models.PositiveSmallIntegerField(
        default=0, help_text="Results removed by the batch blocklist (attempted fact-checker hits)."
    )
    withheld_count = models.PositiveSmallIntegerField(
        default=0, help_text="Corpus documents removed because they judge this very statement."
    )
    has_next = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "search queries"
        indexes = [models.Index(fields=["assignment", "statement"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["ok", "failed"]), name="searchquery_status_valid"
            ),
            models.CheckConstraint(condition=Q(page__gte=1), name="searchquery_page_positive"),
        ]

    def __str__(self):
        return f"{self.text!r} p{self.page} ({self.provider})"


class SearchResult(models.Model):
    """One result exactly as shown to the worker; `url_key` is the normalised URL gates compare."""

    # No index of its own: the unique (query, rank) index serves lookups by query, and each of
    # a search's results writes one index entry fewer.
    query = models.ForeignKey(
        SearchQuery, on_delete=models.CASCADE, related_name="results", db_index=False
    )
    rank = models.PositiveSmallIntegerField(help_text="1-based position across pages as shown.")
    url = models.URLField(max_length=2000)
    url_key = models.CharField(max_length=2000)
    title = models.CharField(max_length=500)
    snippet = models.TextField(blank=True)
    domain = models.CharField(max_length=255)

    class Meta:
        ordering = ["query", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["query", "rank"], name="searchresult_unique_rank"),
        ]

    def __str__(self):
        return f"#{self.rank} {self.url}"


class ResultClick(models.Model):
    """A worker opened a result (the link opens in a new tab; the page itself is not fetched)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="clicks")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="clicks")
    query = models.ForeignKey(SearchQuery, on_delete=models.CASCADE, related_name="clicks")
    rank = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"click #{self.rank} {self.url}"


class EvidenceSelection(models.Model):
    """A worker chose a URL as evidence; refused attempts are kept too (e.g. forged blocked URLs)."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="evidence_selections"
    )
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="evidence_selections"
    )
    url = models.CharField(
        max_length=2000, help_text="As submitted (it may be invalid if refused)."
    )
    url_key = models.CharField(max_length=2000, blank=True)
    accepted = models.BooleanField()
    reason = models.CharField(max_length=32, blank=True, help_text="Why it was refused.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["assignment", "statement"])]

    def __str__(self):
        return f"{'accepted' if self.accepted else 'refused'} {self.url}"
