import graphnet.views.report  # noqa: F401 — registers the report's rich and text views
