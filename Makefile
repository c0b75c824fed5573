# Benchmarks (bench/README.md). `make bench` measures ClinConsensus scale on SQLite and
# PostgreSQL against the physical floor; SCALE=10 for ten times the data, DB=sqlite for one.
PYTHON ?= .venv/bin/python
SCALE ?= 1
DB ?= sqlite postgres

.PHONY: bench
bench:
	$(PYTHON) bench/suite.py --scale $(SCALE) --db $(DB)
