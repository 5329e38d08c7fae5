"""Stored bytes: a content-addressed blob store, kept in `app.extensions` like other extensions."""
from storage.blobs import BlobStore, LocalBlobStore, blob_store, init_app

__all__ = ["BlobStore", "LocalBlobStore", "blob_store", "init_app"]
