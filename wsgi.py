"""WSGI entry point: `gunicorn wsgi:app`."""

from foodsafety import create_app

app = create_app()
