"""Per-account limits on expensive requests (statistics, snapshot builds, workbook downloads)."""
