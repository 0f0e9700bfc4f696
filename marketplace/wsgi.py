"""WSGI entry point for production servers: ``gunicorn -c gunicorn.conf.py marketplace.wsgi:app``."""

from marketplace import create_app

app = create_app()
