"""Use cases. Plain functions taking ``*, session`` and the acting user; they flush, never commit,
and never touch Flask globals, so the web views, the API, the CLI, jobs and tests share them."""
