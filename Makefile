# Every target bootstraps what it needs: a fresh clone needs only Python 3.10 on the machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MODEL := models/trust.tar.gz

.PHONY: run test train chat lint eval bench bench-faults clean

# A first run writes a new data key (BOT_DATA_KEY) to .env and says so; later runs use it.
run: train
	$(PY) -m bot data-key --ensure
	$(PY) -m bot run

test: train
	$(PY) -m pytest
	$(PY) -m bot test-stories

# 5-fold cross-validation of the NLU; reports (per-intent F1, confusions) go to reports/.
eval: train
	$(PY) -m bot eval

# Benchmarks beside `rasa run`; prints one table, writes bench/results.json and the figures in
# docs/performance.md. It trains the model itself when needed (that train is one it times), so a
# fresh clone trains once, not twice.
bench: $(INSTALLED)
	$(PY) -m bot bench

# Crashes, failing sends, floods and stops, tried on the real bot process; prints one table.
bench-faults: train
	$(PY) -m bench.faults

train: $(INSTALLED)
	$(PY) -m bot train

chat: train
	$(PY) -m bot data-key --ensure
	$(PY) -m bot chat

lint: $(INSTALLED)
	$(PY) -m ruff check bot tests bench
	$(PY) -m ruff format --check bot tests bench

# Rasa 3.6 runs only on Python 3.10: look on PATH first, then in pyenv's versions.
$(PY):
	@py=""; \
	for candidate in $$(command -v python3.10 2>/dev/null) $$HOME/.pyenv/versions/3.10*/bin/python3.10; do \
	  if [ -x "$$candidate" ] && "$$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
	    py="$$candidate"; break; \
	  fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "Python 3.10 is required (Rasa 3.6.21 does not run on newer Pythons) and none was found." >&2; \
	  echo "Install it, e.g. 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv', then run make again." >&2; \
	  exit 1; \
	fi; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

# The lock pins the whole resolved tree (Rasa's is large and fragile); the project goes on top.
$(INSTALLED): $(PY) requirements.lock requirements-nodeps.txt pyproject.toml
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

clean:
	rm -rf $(VENV) models .rasa
