"""Domain blocking and URL normalisation edge cases (pure: no database)."""

import pytest

from search.filters import (
    query_normalise,
    text_is_blocked,
    url_host,
    url_is_blocked,
    url_normalise,
)

STUDY = ["politifact", "abc"]


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        ("https://www.politifact.com/factchecks/2012/", True),
        ("https://politifact.com/", True),
        ("https://api.v2.politifact.com/x", True),  # any depth of subdomain
        ("https://notpolitifact.com/", False),  # look-alike is another site
        ("https://politifact.com.evil.example/", False),  # the registrable domain is evil.example
        ("https://WWW.POLITIFACT.COM/A", True),  # upper case
        ("https://www.politifact.com./a", True),  # trailing dot (FQDN form)
        ("https://www.politifact.com:8443/a", True),  # port
        ("https://user:secret@politifact.com/", True),  # credentials before the host
        ("https://politifact.com@evil.example/", False),  # the host is evil.example
        (
            "https://politifact.com\\@evil.example/",
            True,
        ),  # browsers read "\" as "/": host is politifact
        ("https://www.abc.net.au/news/factcheck", True),  # bare name under a multi-label suffix
        ("https://abcnews.go.com/", False),
        ("https://abcya.com/", False),
        ("https://politifact.org/", True),  # bare name: every public suffix
        (" https://politifact.com/\n", True),  # surrounding whitespace
        ("https://poli\ttifact.com/", True),  # tabs are dropped by browsers
        ("javascript:alert(1)", True),  # not http(s): never shown
        ("ftp://example.com/", True),
        ("https:///nohost", True),
        ("not a url", True),
        ("https://example.com:99999/", True),  # malformed port
        ("https://example.org/politifact", False),  # domain mode ignores the path
    ],
)
def test_domain_mode_with_the_study_list(url, blocked):
    assert url_is_blocked(url, STUDY, "domain") is blocked


@pytest.mark.parametrize(
    ("url", "entries", "blocked"),
    [
        ("https://www.politifact.com/", ["politifact.com"], True),
        ("https://notpolitifact.com/", ["politifact.com"], False),
        ("https://politifact.com/", ["www.politifact.com"], False),  # an entry with www is exact
        ("https://xn--bcher-kva.example/", ["bücher.example"], True),  # punycode vs unicode entry
        ("https://bücher.example/", ["xn--bcher-kva.example"], True),
        ("https://BÜCHER.example/", ["bücher.example"], True),
        ("https://sub.politifact.com/", ["https://www.politifact.com/"], False),  # URL entry: host
        ("https://www.politifact.com/x", ["https://www.politifact.com/"], True),
        ("https://www.politifact.com/x", ["*.politifact.com"], True),
        ("https://www.politifact.com/x", ["POLITIFACT.COM."], True),
        ("https://example.com/", [], False),
        ("https://example.com/", ["", "  "], False),
    ],
)
def test_domain_mode_entries(url, entries, blocked):
    assert url_is_blocked(url, entries, "domain") is blocked


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        ("https://www.politifact.com/", True),
        ("https://notpolitifact.com/", True),  # replication mode over-blocks, as the study did
        ("https://abcya.com/", True),
        ("https://example.org/abc-of-taxes", True),
        ("https://example.org/ABC", True),
        ("https://example.org/taxes", False),
        ("https://politifact.com@evil.example/", True),
    ],
)
def test_substring_mode_replicates_the_study(url, blocked):
    assert url_is_blocked(url, STUDY, "substring") is blocked


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="mode"):
        url_is_blocked("https://example.com/", STUDY, "regex")


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("HTTPS://Example.COM", "https://example.com/"),
        ("https://example.com:443/a?b=1#frag", "https://example.com/a?b=1"),
        ("http://example.com:80/", "http://example.com/"),
        ("http://example.com:8080/", "http://example.com:8080/"),
        ("https://u:p@example.com./Path", "https://example.com/Path"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("mailto:someone@example.com", ""),
        ("", ""),
    ],
)
def test_url_normalise(url, normalised):
    assert url_normalise(url) == normalised


def test_url_host_and_query_normalise():
    assert url_host("https://User@WWW.Example.com.:81/x") == "www.example.com"
    assert query_normalise("  social\u00a0security\n deficit ") == "social security deficit"


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("PolitiFact rated the claim Pants on Fire", True),
        ("As reported by ABC News", True),
        ("\uff30\uff2f\uff2c\uff29\uff34\uff29\uff26\uff21\uff23\uff34 (full-width)", True),
        ("The Congressional Budget Office disagrees", False),
        ("", False),
    ],
)
def test_text_is_blocked_matches_entries_anywhere_in_the_text(text, blocked):
    assert text_is_blocked(text, STUDY) is blocked
    assert text_is_blocked(text, []) is False
