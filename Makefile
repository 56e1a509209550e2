# mloop's front door. Every target does its own set-up: `make test` and `make demo` work on a
# fresh Debian 12 machine. Build output stays under build/.
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= 2
PREFIX ?= /usr/local

.PHONY: all deps configure build test demo bench format install clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt CMakePresets.json | deps
	cmake --preset $(PRESET) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

bench: build
	bench/run.sh $(BUILD)

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build
