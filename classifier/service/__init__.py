"""The tagging service: an HTTP API (FastAPI) and the editors' page, over one hot-reloadable model."""
