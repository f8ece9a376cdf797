"""The researcher REST API: reads, bulk exports, study data packages and batch writes."""
