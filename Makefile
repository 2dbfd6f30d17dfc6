# The two commands of the README: `make run` and `make test`. Both set the machine up first.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
LABS := node src/cli/labs.mjs

.PHONY: setup run test unit typecheck bench clean

setup:
	@bash src/setup/setup.sh

## run every lab, write the HTML report and JUnit XML to out/
run: setup
	$(LABS) run --all --report out --junit out/junit.xml

## typecheck, then unit and integration tests against the real systems
test: setup typecheck
	vitest run

unit: typecheck
	vitest run test/unit

typecheck:
	tsc -p tsconfig.json

## runner overhead, --jobs speed-up and peak memory, as ratios against a baseline of the same run
bench: setup
	node test/bench/bench.ts

## remove what dead runs left behind
clean:
	$(LABS) clean
