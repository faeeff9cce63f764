# txguard — the two commands a new user needs:
#   make demo   local broker, simulated transactions, the monitor, alerts printed
#   make test   the whole test suite (unit, mock-cluster integration, end-to-end)
#   make eval   detection quality on several generators against baselines -> docs/DETECTION.md (~45 min)
#               (development only, outside CI; installs its Python packages)
# Both install what is missing first (scripts/bootstrap.sh: apt packages, test tools, the model).

SWIFT ?= swift
JOBS  ?= $(shell nproc)
# Release builds compile the Swift code for this machine's class of x86-64 CPU when it has AVX2
# and FMA (scripts/cpu-target.sh: `haswell`, x86-64-v3): the scorer's vector loops get 256-bit
# registers, about 5% less CPU per event, and every decision is the same to the bit (Swift does
# not fuse a multiply and an add unless the code asks for it). `make release TARGET_CPU=generic`
# builds a binary that runs on any x86-64 (one built for haswell stops with SIGILL on an older
# CPU). Debug builds, and so the tests, are always generic.
TARGET_CPU ?= auto
RELEASE_FLAGS = $(shell scripts/cpu-target.sh --flags $(TARGET_CPU))

.PHONY: setup model build release test demo bench bench-compare fuzz clean eval reliability

setup:
	@scripts/bootstrap.sh

model:
	@scripts/fetch-model.sh

build: setup
	$(SWIFT) build -j $(JOBS)

release: setup
	$(SWIFT) build -c release -j $(JOBS) --product txguard $(RELEASE_FLAGS)

test: setup
	$(SWIFT) build --build-tests -j $(JOBS)
	# One test at a time: the end-to-end tests run txguard processes against brokers in other
	# processes, and run beside the CPU-heavy unit tests they starved a 2-core machine.
	$(SWIFT) test --skip-build --no-parallel

demo: release
	@scripts/demo.sh

bench: release
	.build/release/txguard bench kafka
	.build/release/txguard bench decode
	.build/release/txguard bench detectors
	.build/release/txguard bench embed
	.build/release/txguard bench pipeline

EVAL_ARGS ?=
eval:
	scripts/eval/eval.sh $(EVAL_ARGS)

# Outside CI: txguard beside a C consume loop, sgemm, scikit-learn and river peers, on one local
# broker and the same events; one table plus out/bench-compare/result-*.json (docs/PERFORMANCE.md).
# Installs its development-only Python packages (scripts/bench-compare/requirements.txt) if missing.
# About 10-15 minutes on a 2-core machine; one core per build job so it can share the machine.
bench-compare: setup
	$(SWIFT) build -c release --product txguard -j 1 $(RELEASE_FLAGS)
	python3 scripts/bench-compare/run.py $(BENCH_COMPARE_ARGS)

# Outside CI (`make test` never fuzzes): every libFuzzer target for FUZZ_SECONDS each, one after
# the other on one core; FUZZ_TARGET=model (decoder, label, config, model, snapshot, safetensors)
# runs one. Findings: fuzz-out/<target>/artifacts/.
FUZZ_SECONDS ?= 900
FUZZ_TARGET ?= all
fuzz:
	scripts/fuzz.sh $(FUZZ_TARGET) $(FUZZ_SECONDS)

# Outside CI (`make test` never runs it), about 2 h 40 min at the defaults on 2 cores: the crash
# loop (txguard run SIGKILLed 20 times over 200k events, against an undisturbed run) in
# at-least-once and in exactly-once mode, every fuzz target for FUZZ_SECONDS, and a
# SOAK_MINUTES soak with state for >= 1M accounts. Every step runs; the target fails if one did.
# Results: out/reliability/{crashloop-at-least-once,crashloop-exactly-once,soak}/ (summary.json,
# logs, soak.csv + soak.html). RELIABILITY_BIN=path uses another binary.
SOAK_MINUTES ?= 30
RELIABILITY_BIN ?= .build/release/txguard
reliability: release
	@status=0; \
	python3 scripts/reliability/crashloop.py --mode at-least-once --bin $(RELIABILITY_BIN) || status=1; \
	python3 scripts/reliability/crashloop.py --mode exactly-once --bin $(RELIABILITY_BIN) || status=1; \
	scripts/fuzz.sh all $(FUZZ_SECONDS) || status=1; \
	python3 scripts/reliability/soak.py --minutes $(SOAK_MINUTES) --bin $(RELIABILITY_BIN) || status=1; \
	exit $$status

clean:
	rm -rf .build
