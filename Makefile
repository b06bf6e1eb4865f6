# distillguard — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test test-unit test-integration lint format bench evaluate report report-redteam report-redteam2 report-redteam3 gate-content gate-redteam3 fit-fusion broker-start broker-stop clean schemas

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/distillguard demo

test: $(STAMP)
	$(BIN)/python -m pytest -q --timeout=900

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not integration"

test-integration: $(STAMP)
	$(BIN)/python -m pytest -q -m integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schemas: $(STAMP)
	$(BIN)/python -m distillguard.schemas.generate

bench: $(STAMP)
	$(BIN)/python -m bench.run

# The full scenario from the README: simulate → replay → evaluate, report under docs/.
report: $(STAMP)
	$(BIN)/distillguard simulate --scenario full --out out/full
	$(BIN)/distillguard replay --input out/full/events.jsonl --output out/full/alerts.jsonl --progress
	$(BIN)/distillguard evaluate --events out/full/events.jsonl --labels out/full/labels.jsonl \
		--alerts out/full/alerts.jsonl --out docs/report

# Fusion weights: fitted on development traffic only (the red-team dev split and the small tuned
# scenario), never on the blind red-team split; writes models/data/fusion_weights.json. The collection
# runs with the weights the committed fit recorded, so this reproduces the committed file (drop
# --collect-with to iterate one more pass from the current weights). Then the interaction trees
# (models/data/fusion_interactions.json), collected with those weights. Both collections run under the
# detector settings the committed fit was made with (evaluation/data/fusion_fit.toml): with them both
# files come out byte for byte (measured 2026-12-07; pytest -m slow checks the weights).
FIT_SETTINGS := evaluation/data/fusion_fit.toml

fit-fusion: $(STAMP)
	$(BIN)/distillguard simulate --scenario redteam-dev --out out/redteam-dev > /dev/null
	$(BIN)/distillguard simulate --scenario redteam-dev --seed 4245 --out out/redteam-dev-4245 > /dev/null
	$(BIN)/distillguard simulate --scenario small --out out/small > /dev/null
	$(BIN)/distillguard fit-fusion --config $(FIT_SETTINGS) --events out/redteam-dev/events.jsonl --labels out/redteam-dev/labels.jsonl \
		--events out/redteam-dev-4245/events.jsonl --labels out/redteam-dev-4245/labels.jsonl \
		--events out/small/events.jsonl --labels out/small/labels.jsonl --out models/data/fusion_weights.json \
		--collect-with models/data/fusion_weights.json
	$(BIN)/distillguard fit-interactions --config $(FIT_SETTINGS) --events out/redteam-dev/events.jsonl --labels out/redteam-dev/labels.jsonl \
		--events out/redteam-dev-4245/events.jsonl --labels out/redteam-dev-4245/labels.jsonl \
		--events out/small/events.jsonl --labels out/small/labels.jsonl --out models/data/fusion_interactions.json

# The blind red-team evaluation (measure once per detector version): report under docs/report-redteam/.
report-redteam: $(STAMP)
	$(BIN)/distillguard simulate --scenario redteam --out out/redteam > /dev/null
	$(BIN)/distillguard replay --input out/redteam/events.jsonl --output out/redteam/alerts.jsonl
	$(BIN)/distillguard evaluate --events out/redteam/events.jsonl --labels out/redteam/labels.jsonl \
		--alerts out/redteam/alerts.jsonl --ablations --out docs/report-redteam/current

# The second blind red team (evaluation/redteam2; measure once per detector version).
report-redteam2: $(STAMP)
	$(BIN)/distillguard simulate --scenario redteam2 --out out/redteam2 > /dev/null
	$(BIN)/distillguard replay --input out/redteam2/events.jsonl --output out/redteam2/alerts.jsonl
	$(BIN)/distillguard evaluate --events out/redteam2/events.jsonl --labels out/redteam2/labels.jsonl \
		--alerts out/redteam2/alerts.jsonl --out docs/report-redteam2/current

report-redteam3: $(STAMP)
	$(BIN)/distillguard simulate --scenario redteam3 --out out/redteam3 > /dev/null
	$(BIN)/distillguard replay --input out/redteam3/events.jsonl --output out/redteam3/alerts.jsonl
	$(BIN)/distillguard evaluate --events out/redteam3/events.jsonl --labels out/redteam3/labels.jsonl \
		--alerts out/redteam3/alerts.jsonl --out docs/report-redteam3/current

# The content-shift gate (README, "What the second red team shows"): two held-out dev seeds replayed
# plain and with 60 % of every normal account's requests misread as asking for reasoning and for a grade;
# a candidate that flags more than a handful of normal accounts under the misreads should not go blind.
gate-content: $(STAMP)
	$(BIN)/distillguard simulate --scenario redteam-dev --seed 4243 --out out/redteam-dev-4243 > /dev/null
	$(BIN)/distillguard simulate --scenario redteam2-dev --seed 5151 --out out/redteam2-dev-5151 > /dev/null
	for run in out/redteam-dev-4243 out/redteam2-dev-5151; do \
		$(BIN)/distillguard replay --input $$run/events.jsonl --output $$run/alerts-plain.jsonl > /dev/null && \
		$(BIN)/distillguard content-shift --events $$run/events.jsonl --labels $$run/labels.jsonl \
			--output $$run/alerts-misread60.jsonl --share 0.6 --reads elicitation,grading || exit 1; \
	done
	$(BIN)/distillguard compare --run out/redteam-dev-4243 --run out/redteam2-dev-5151 \
		--alerts alerts-plain.jsonl --alerts alerts-misread60.jsonl

# The cross-author check on dev data (README, "What the third red team shows"): the third red team's two
# dev seeds, which no committed fit has seen; v6.2 flags 49 and 76 of ~4,060 normal accounts here, v6.4
# (the system prompt weighed only in pairs) 14 and 35, v6.5 (medium at 0.7 for an unlinked account) 4 and 25;
# v6.6 (country hopping) the same 4 and 25, with 66.9 % and 66.7 % of campaign accounts (v6.5 58.6 / 61.2 %).
gate-redteam3: $(STAMP)
	for seed in 6160 6161; do \
		$(BIN)/distillguard simulate --scenario redteam3-dev --seed $$seed --out out/redteam3-dev-$$seed > /dev/null && \
		$(BIN)/distillguard replay --input out/redteam3-dev-$$seed/events.jsonl \
			--output out/redteam3-dev-$$seed/alerts.jsonl > /dev/null || exit 1; \
	done
	$(BIN)/distillguard compare --run out/redteam3-dev-6160 --run out/redteam3-dev-6161 --alerts alerts.jsonl

broker-start: $(STAMP)
	$(BIN)/distillguard broker start

broker-stop: $(STAMP)
	$(BIN)/distillguard broker stop

clean:
	-$(BIN)/distillguard broker stop
	rm -rf .distillguard out .pytest_cache
