"""`flask demo load`: a demo province with schools, units, a year of inspections and cases."""

from __future__ import annotations

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="演示数据。")
