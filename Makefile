# ClusterRecipes. `make run` boots the example cluster here; `make test` runs every test.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

APT_PACKAGES := liblua5.4-dev libsqlite3-dev libcurl4-openssl-dev python3 python3-venv tar curl git haproxy socat openssh-server openssh-client binutils
VENV := .venv
SWIFT_JOBS ?= 2

.PHONY: deps venv build release run test api-check docs bench clean screenshots

# Installs the Debian packages the build and the tests need, only when one is missing.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# moto_server (the EC2-compatible server the tests start), boto3 (the benchmark's peer),
# schemathesis (the API's check against its OpenAPI document), selenium (the console's browser
# tests) and psycopg (serve_bench's events on PostgreSQL), in .venv; again when the list changes.
PY_PACKAGES := 'moto[server]' boto3 'schemathesis>=4.3,<5' 'selenium>=4.20,<5' 'psycopg[binary]>=3.1,<4'

venv: $(VENV)/.installed

$(VENV)/.installed: Makefile | deps
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check $(PY_PACKAGES)
	touch $@

build: deps
	swift build -j $(SWIFT_JOBS)

# The agent instances fetch is linked apart, with Swift's runtime and Foundation inside: it runs
# on a stock Linux (glibc, libstdc++, libsqlite3), and an idle one maps one file, not a dozen.
# Stripped (66 MB, not 100): every instance downloads it at boot.
release: deps
	swift build -c release -j $(SWIFT_JOBS)
	swift build -c release -j $(SWIFT_JOBS) --product recipe-agent --static-swift-stdlib --scratch-path .build/static
	strip -o .build/release/recipe-agent.new .build/static/release/recipe-agent && mv .build/release/recipe-agent.new .build/release/recipe-agent

# Boots Examples/webapp (lb + 3 web servers) on this machine and prints how to reach them.
run: release
	.build/release/recipe run Examples/webapp/cluster.lua
	@echo
	@echo "status: .build/release/recipe status shop    events: .build/release/recipe events --cluster shop"
	@echo "heal:   .build/release/recipe serve   (replaces a web instance that dies, and serves the API)"
	@echo "API:    http://127.0.0.1:7070/api/v1/openapi.json while serve runs; a token: recipe user add me --admin && recipe token create me"
	@echo "console: http://127.0.0.1:7070/ while serve runs (sign in with that token)"
	@echo "stop:   .build/release/recipe destroy shop --yes"

# Unit tests run apart from the end-to-end ones: those wait on real processes with blocking calls,
# and would starve the unit tests' timing of the two cooperative threads. The Store's suite runs a
# second time on PostgreSQL (RECIPE_TEST_ENGINE=postgres: a server of its own on loopback).
UNIT_TESTS := LuaKitTests|StoreTests|EngineTests|EC2Tests|InProcessTests|CookbookVersionTests

# The console's tests drive Debian's chromium and check its pages with tidy, and the PostgreSQL tests start
# Debian's server (initdb into a temporary folder): installed for make test only.
test: APT_PACKAGES += chromium chromium-driver tidy postgresql

# The Python packages install while Swift builds (pip waits on the network, the build on the CPU).
test: deps
	@mkdir -p .build; $(MAKE) --no-print-directory venv >.build/venv.log 2>&1 & venv=$$!; \
	swift build --build-tests -j $(SWIFT_JOBS); built=$$?; \
	wait $$venv || { cat .build/venv.log; exit 1; }; exit $$built
	swift test --skip-build --filter '$(UNIT_TESTS)'
	RECIPE_TEST_ENGINE=postgres swift test --skip-build --filter StoreTests
	swift test --skip-build --skip '$(UNIT_TESTS)'
	bash Tests/api/schemathesis.sh .build/debug/recipe
	$(VENV)/bin/python Tests/console/browser_test.py .build/debug/recipe

# The console's pages at 1280x800 and 390 px wide, into docs/console/ (the README shows them).
screenshots: APT_PACKAGES += chromium chromium-driver
screenshots: deps venv
	swift build -j $(SWIFT_JOBS) --product recipe
	$(VENV)/bin/python Tests/console/screenshots.py .build/debug/recipe docs/console

# The served API against its OpenAPI document: schemathesis, with an admin token, on a home of its own.
api-check: deps venv
	swift build -j $(SWIFT_JOBS) --product recipe
	bash Tests/api/schemathesis.sh .build/debug/recipe

# docs/lua.md, the reference of the Lua surface, from the --- blocks of Stdlib/ (a test fails when it is
# stale), and the API's OpenAPI document from tools/openapi.py (a test holds the routes against it).
docs:
	python3 tools/luadoc.py
	python3 tools/openapi.py

# SERVE_PEER=path/to/an/earlier/recipe: serve_bench steps that binary's event rate too, in the same run.
SERVE_PEER ?=

bench: release venv
	swift build -c release -j $(SWIFT_JOBS) --product bridge-bench
	.build/release/bridge-bench
	python3 Benchmarks/webapp_bench.py .build/release/recipe
	python3 Benchmarks/plan_bench.py .build/release/recipe
	$(VENV)/bin/python Benchmarks/monster_world_bench.py .build/release/recipe
	python3 Benchmarks/deploy_bench.py .build/release/recipe
	python3 Benchmarks/serve_bench.py .build/release/recipe $(SERVE_PEER)
	$(VENV)/bin/python Benchmarks/serve_bench.py .build/release/recipe --postgres
	python3 Benchmarks/api_bench.py .build/release/recipe
	python3 Benchmarks/api_bench.py .build/release/recipe --postgres
	$(VENV)/bin/python Benchmarks/agent_rss_bench.py .build/release/recipe
	$(VENV)/bin/python Benchmarks/console_bench.py .build/release/recipe
	swift build -c release -j $(SWIFT_JOBS) --product postgres-bench
	.build/release/postgres-bench

clean:
	rm -rf .build
