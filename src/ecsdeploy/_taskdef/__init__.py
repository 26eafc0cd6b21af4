"""Task definitions as pure data: the changes a deployment asks for, image references, the
lossless copy into a new revision, diffs and secret redaction."""
