"""Errors the search service raises for a worker's search, with a message fit to show them."""


class SearchThrottled(Exception):
    """The worker searched too often; they may search again after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(
            f"You are searching very quickly. Please wait {retry_after} seconds and search again."
        )


class SearchUnavailable(Exception):
    """The search provider failed for this query; the worker can simply search again."""

    def __init__(self, detail: str = ""):
        self.detail = detail
        super().__init__(
            "The search service did not answer. Please try again in a moment; your answers "
            "on this page are kept."
        )
