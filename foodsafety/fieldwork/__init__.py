"""The inspector's day on the phone: what is due (tasks) and everything known about one unit."""

from foodsafety.fieldwork import receivers  # noqa: F401  (adds what units show in the registry's lists)
