"""Settings for the gunicorn that benchmarks/api_bench.py starts: the project's settings
(configured through the environment as in docker-compose.yml) with the baselines mounted."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.root_urls"
