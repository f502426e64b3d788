"""Enforcement: administrative penalty cases and their stages, within the inspector's scope."""
