"""The researcher portal (FastAPI + Jinja2 on the GOV.UK Design System) and its JSON API."""
