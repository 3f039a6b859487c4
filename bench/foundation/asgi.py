"""Launcher used by the benchmarks when crowdloop.app has no app_from_env factory yet.

uvicorn --app-dir bench/foundation asgi:app      (settings from CROWDLOOP_* env vars)
"""

from crowdloop.app import create_app
from crowdloop.config import Settings

app = create_app(Settings())
