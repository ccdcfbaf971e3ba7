"""The project's URLs plus the benchmark baselines, for the gunicorn that api_bench.py starts
(ROOT_URLCONF through benchmarks/bench_settings.py)."""

from benchmarks.urls import urlpatterns as baseline_urls
from config.urls import urlpatterns as project_urls

urlpatterns = [*baseline_urls, *project_urls]
