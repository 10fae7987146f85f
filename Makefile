# zlbd — see README.md. `make run` builds the warehouse from sample_data; `make test` runs
# every test (Rust unit + integration, then the DuckDB checks in a local virtualenv).

CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Where cargo puts its builds: $CARGO_TARGET_DIR when set, as cargo itself does.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
ZLBD_RELEASE := $(TARGET_DIR)/release/zlbd

.PHONY: all build run test test-rust test-duckdb crash bench fuzz sample clean

all: build

build:
	$(CARGO) build --release

# Exit 3 means "published, with rejects": the sample carries deliberate errors, so it is success here.
run: build
	@$(ZLBD_RELEASE) run --inbox sample_data --warehouse warehouse; code=$$?; \
	if [ $$code -ne 0 ] && [ $$code -ne 3 ]; then exit $$code; fi; \
	echo "warehouse ready: duckdb -init warehouse/views.sql"

$(VENV)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

test: test-rust test-duckdb

test-rust:
	$(CARGO) test

# `cargo test --no-run` builds $(TARGET_DIR)/debug/zlbd with the same dependency features as the
# Rust tests did, so after test-rust nothing is compiled again.
test-duckdb: $(VENV)/.installed
	$(CARGO) test --no-run
	ZLBD_BIN=$(TARGET_DIR)/debug/zlbd $(PY) -m pytest -q tests/python

# Regenerate the committed sample inbox (deterministic for the seed).
sample:
	$(CARGO) run --release -- sample --out sample_data --seed 2022

bench:
	$(CARGO) bench --bench throughput

FUZZ_SECONDS ?= 600
FUZZ_FLAGS = -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1

# The three fuzz targets, one after the other; findings land in fuzz/artifacts/<target>/.
fuzz:
	mkdir -p fuzz/corpus/file_to_cells
	cp sample_data/*.xls* tests/fixtures/inbox/* tests/fixtures/regressions/* fuzz/corpus/file_to_cells/ 2>/dev/null || true
	python3 fuzz/seed_parts.py xlsx fuzz/corpus/sheet_xml_to_cells sample_data/*.xlsx tests/fixtures/inbox/*.xlsx
	python3 fuzz/seed_parts.py ods fuzz/corpus/ods_content_to_cells tests/fixtures/inbox/*.ods
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run file_to_cells -- $(FUZZ_FLAGS)
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run sheet_xml_to_cells -- -dict=xlsx.dict $(FUZZ_FLAGS)
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run ods_content_to_cells -- $(FUZZ_FLAGS)

clean:
	$(CARGO) clean
	rm -rf $(VENV) warehouse feedback templates
