"""The printed inspection record, the rectification notice and their public verification page."""
