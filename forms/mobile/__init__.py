"""The inspector's offline-first mobile form (served under `/m/`), rendered from `forms/definitions`."""
