"""``make bench``: the crawler measured against its limits, on an imitation of the site.

Run ``python -m bench`` from the project's root (``--help`` for sizes; ``BENCH_SCALE=0.05``
for a quick run). It prints a table and writes it to ``docs/benchmarks.md``.
"""
