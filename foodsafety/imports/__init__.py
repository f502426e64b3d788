"""Bulk import of schools, units and supply links from the system's own .xlsx template."""
