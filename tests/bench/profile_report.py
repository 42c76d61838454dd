"""Where the regulator report's time goes: the campaign's state for a past day
(``campaign_state_at``), the HTML (template), WeasyPrint's layout and the PDF it writes, and
the XLSX, in-process and one after the other, on the campaign benchmark's world
(``tests/bench/campaign_world.py``, built here if it is not there at this size).

    .venv/bin/python tests/bench/profile_report.py --campaign-database-url URL \
        --organizations 200 --items 40000 [--profile pdf] [--repeat 2]

Give it a database of its own: the world is rebuilt when its size differs.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from tests.bench import campaign_world

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--campaign-database-url",
        default=os.environ.get("BENCH_CAMPAIGN_DATABASE_URL", campaign_world.DEFAULT_DATABASE_URL),
    )
    parser.add_argument("--organizations", type=int, default=campaign_world.ORGANIZATIONS)
    parser.add_argument("--items", type=int, default=campaign_world.ITEMS)
    parser.add_argument("--repeat", type=int, default=1, help="Measure each step this often.")
    parser.add_argument(
        "--profile",
        choices=["state", "html", "layout", "pdf", "xlsx"],
        action="append",
        default=[],
        help="Print the functions that took the most time in this step.",
    )
    parser.add_argument("--top", type=int, default=30)
    options = parser.parse_args()

    from tests.bench.bench_ui import _django_setup

    _django_setup(options.campaign_database_url)
    from django.utils import timezone

    from campaigns import report
    from campaigns.models import Campaign
    from campaigns.selectors import campaign_state_at, end_of_day
    from orgs.models import User
    from tests.bench.campaign_world import campaign_world_build

    world = campaign_world_build(
        organizations=options.organizations, items=options.items, rebuild=False
    )
    campaign = Campaign.objects.get(pk=world.campaign_id)
    analyst = User.objects.get(username="bench-campaign-analyst")
    as_of = end_of_day(timezone.localdate() - datetime.timedelta(days=3))
    print(f"campaign over {world.organizations:,} organizations, report for {as_of:%Y-%m-%d}")

    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    state = campaign_state_at(campaign=campaign, user=analyst, as_of=as_of)
    html = report.report_html(state)
    offline = URLFetcher(allowed_protocols=("data",))
    document = HTML(string=html, url_fetcher=offline).render()
    steps: dict[str, Callable[[], Any]] = {
        "state": lambda: campaign_state_at(campaign=campaign, user=analyst, as_of=as_of),
        "html": lambda: report.report_html(state),
        "layout": lambda: HTML(string=html, url_fetcher=offline).render(),
        "pdf": lambda: document.write_pdf(),
        "xlsx": lambda: report.report_xlsx(state),
    }
    print(f"{len(document.pages)} pages, {len(html):,} characters of HTML")
    for name, step in steps.items():
        timings, cpu = [], []
        for _ in range(options.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            step()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        # CPU time is what an idle machine would take; wall time is what this one took.
        print(f"  {name:<8} {min(timings):8.0f} ms ({min(cpu):.0f} ms CPU)")
        if name in options.profile:
            profiler = cProfile.Profile()
            profiler.runcall(step)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(options.top)
            print(out.getvalue())
    print(f"load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
