# archbench: the user's verbs. `make help` prints this menu.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

ARCH ?= lstm
DATA ?=
SEED ?= 0
MAX_EPOCHS ?=
ACCELERATOR ?=
DEVICES ?=
TRAINER ?= default
ARGS ?=
NAME ?=
ARCHS ?=
DATASETS ?=
SEEDS ?=
JOBS ?= 1
BENCH_ARGS ?=
PYTEST_ARGS ?=
STUDY ?=
TRIALS ?= 20
TUNE ?=

TRAIN_FLAGS = --arch $(ARCH) --seed $(SEED) --trainer $(TRAINER) $(if $(DATA),--data $(DATA)) \
	$(if $(MAX_EPOCHS),--max_epochs $(MAX_EPOCHS)) $(if $(ACCELERATOR),--accelerator $(ACCELERATOR)) \
	$(if $(DEVICES),--devices $(DEVICES))

.PHONY: help install train tune compare report bench test test-fast lint format tensorboard clean clean-logs

help: ## show this menu
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv and install archbench with its dev tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,catalog]'
	touch $@

train: $(STAMP) ## train ARCH (lstm) on DATA; also SEED, MAX_EPOCHS, TRAINER, ACCELERATOR, DEVICES, ARGS
	$(BIN)/archbench train $(TRAIN_FLAGS) $(ARGS)

compare: $(STAMP) ## run STUDY (configs/study/, default: default); ARCHS, DATASETS, SEEDS, MAX_EPOCHS, NAME override; TUNE=1 tunes first
	$(BIN)/archbench compare $(if $(STUDY),--study $(STUDY)) $(if $(NAME),--name $(NAME)) $(if $(ARCHS),--archs $(ARCHS)) \
		$(if $(DATASETS),--data $(DATASETS)) $(if $(SEEDS),--seeds $(SEEDS)) $(if $(MAX_EPOCHS),--max_epochs $(MAX_EPOCHS)) \
		--jobs $(JOBS) $(if $(TUNE),--tune) $(ARGS)

tune: $(STAMP) ## Optuna study of ARCH on DATA: TRIALS trials (default 20), validation split only; also MAX_EPOCHS, ARGS
	$(BIN)/archbench tune --arch $(ARCH) $(if $(DATA),--data $(DATA)) --trials $(TRIALS) \
		$(if $(MAX_EPOCHS),--max_epochs $(MAX_EPOCHS)) $(if $(NAME),--name $(NAME)) $(ARGS)

report: $(STAMP) ## rebuild reports/$(NAME)/ (default: the study's name) from its records and logs, without training
	$(BIN)/archbench report $(or $(NAME),$(STUDY),default)

bench: $(STAMP) ## training speed against hand-written PyTorch: prints ratios (see docs/performance.md)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

test: $(STAMP) ## the whole suite, real daemons and slow tests included (what CI runs)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP) ## the inner loop: everything but the slow tests
	$(BIN)/pytest -q -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP) ## ruff fix and format
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

tensorboard: $(STAMP) ## open the run logs in TensorBoard (http://localhost:6006)
	$(BIN)/tensorboard --logdir lightning_logs

clean-logs: ## delete run output under lightning_logs/
	find lightning_logs -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

clean: clean-logs ## delete the venv, caches and run output
	rm -rf $(VENV) .pytest_cache .ruff_cache src/*.egg-info
