"""Background jobs on huey: embedded in `crowdloop serve`, or `crowdloop worker` processes.

See docs/decisions/0012-jobs-on-huey.md for why huey, and docs/jobs.md for operating it.
"""
