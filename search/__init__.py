"""The evidence search engine used inside HITs: providers, domain blocking, caching, logging."""
