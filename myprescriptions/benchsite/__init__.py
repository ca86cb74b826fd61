"""The benchmark's baseline page (TechEmpower "Fortunes" shape), installed only with BENCHMARK=1.

`make bench` compares every real page's throughput with this one: same gunicorn, same middleware,
one indexed query and a small template, so the ratio shows what the page itself costs.
"""
