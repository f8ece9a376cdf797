"""Search models (query and result logs) arrive with the search engine."""
