-- Benchmarks only: make random() in the generators of this session deterministic.
SELECT setseed(%(seed)s)
