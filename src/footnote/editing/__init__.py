"""Adding and removing writing: files, uploads, web pages and feed entries written into a
corpus folder, and the index updated at once."""

from footnote.editing.adding import (
    Added,
    AddedDocument,
    NewCorpus,
    Removed,
    add_bytes,
    add_path,
    add_url,
    open_for_adding,
    remove_document,
)
from footnote.editing.feeds import Feed, FeedEntry, add_feed_entries, fetch_feed
from footnote.editing.fetching import FetchPolicy
from footnote.editing.naming import READABLE_SUFFIXES, check_upload
from footnote.errors import EditError

__all__ = [
    "READABLE_SUFFIXES",
    "Added",
    "AddedDocument",
    "EditError",
    "Feed",
    "FeedEntry",
    "FetchPolicy",
    "NewCorpus",
    "Removed",
    "add_bytes",
    "add_feed_entries",
    "add_path",
    "add_url",
    "check_upload",
    "fetch_feed",
    "open_for_adding",
    "remove_document",
]
