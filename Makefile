# deckhand: plain GNU make + pkg-config + gcc.
#   make              build build/deckhand and build/deckctl
#   make test         unit tests, fuzz corpus replay, integration tests
#   make SANITIZE=1   the same with ASan+UBSan, in build-san/
#   make deps         install build and test dependencies (apt-get) and build
#                     the lean static libcurl (scripts/build-curl)
#   make fuzz         libFuzzer binaries (clang) in build-fuzz/

CC ?= gcc
PKGS := libcurl jansson yaml-0.1 openssl libseccomp zlib libzstd libwebsockets libuv libprotobuf-c

# libcurl is curl's release built lean and static by scripts/build-curl
# (make deps) into the cache: Debian's libcurl4 drags in GnuTLS, Kerberos,
# LDAP and more, some 4 MB of the agent's resident memory (see the script).
CURL_VERSION := $(shell sed -n 's/^CURL_VERSION=//p' scripts/build-curl)
CURL_PREFIX ?= $(or $(DECKHAND_CACHE),$(HOME)/.cache/deckhand)/curl-$(CURL_VERSION)
PKG_CONFIG := PKG_CONFIG_PATH=$(CURL_PREFIX)/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH)) pkg-config
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(CURL_PREFIX)/lib/pkgconfig/libcurl.pc),)
$(error $(CURL_PREFIX)/lib/pkgconfig/libcurl.pc is missing: run 'make deps' (scripts/build-curl builds deckhand's libcurl))
endif
endif

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# gcc's shared libubsan cannot be given a log_path (GCC bug 94328: libasan's
# __sanitizer_set_report_path takes the call), so its reports would only
# reach stderr, which is /dev/null for the shim; linked statically, UBSan
# honours UBSAN_OPTIONS=log_path (the integration tests collect reports so).
SAN_LDFLAGS := -static-libubsan
OPT := -O1
else
BUILD ?= build
SAN_FLAGS :=
SAN_LDFLAGS :=
OPT := -O2
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-overflow=2 -Wformat-truncation=1 \
	-Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wundef -Wwrite-strings -Wvla -Wnull-dereference -Wimplicit-fallthrough \
	-Wcast-align -Wdouble-promotion -Wold-style-definition -Wredundant-decls \
	-Wno-missing-field-initializers
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
	-fPIE -I. $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(SAN_FLAGS) $(CFLAGS)
LDLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(SAN_FLAGS) $(SAN_LDFLAGS) $(LDFLAGS)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
ALL_CFLAGS += -DDH_VERSION='"$(VERSION)"'

# Layers, lowest first: agent -> probes -> pod -> cri -> cgroups -> lib.
CORE_DIRS := lib cgroups cri cri/builtin cri/image pod probes agent agent/ctl
CORE_SRC := $(filter-out agent/main.c agent/ctl/main.c,$(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CORE_LIB := $(BUILD)/libdeckhand.a

UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%)

# Helper programs the integration tests drive (tests/integration/*.c).
TEST_PROGS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(wildcard tests/integration/*.c))

BINS := $(BUILD)/deckhand $(BUILD)/deckctl $(BUILD)/deckhand-shim $(BUILD)/deckhand-pause

# The per-pod shim links only libc, jansson and libseccomp, statically, so
# each pod costs under a megabyte of RSS (see cri/builtin/shim.h). ASan
# cannot be linked statically, so the sanitizer build links it dynamically.
ifeq ($(SANITIZE),1)
SHIM_LDFLAGS := $(ALL_LDFLAGS)
else
SHIM_LDFLAGS := -static-pie -Wl,-z,relro,-z,now $(LDFLAGS)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

.SECONDARY:
.PHONY: all test unit deps fuzz clean FORCE
all: $(BINS)

# Every object depends on the flags and libraries it is built and linked
# with (the stamp changes only when they do), so a new libcurl or CFLAGS
# rebuilds rather than mixing old objects with new ones.
FLAGS_STAMP := $(BUILD)/.flags
$(FLAGS_STAMP): FORCE
	$(shell mkdir -p $(@D))$(file >$@.new,$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LDLIBS))
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $^

$(BUILD)/deckhand: $(BUILD)/obj/agent/main.o $(CORE_LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/deckctl: $(BUILD)/obj/agent/ctl/main.o $(CORE_LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/deckhand-shim: $(BUILD)/obj/cri/builtin/shim/main.o $(CORE_LIB)
	@$(if $(Q),echo "  LINK    $@ (static)")
	$(Q)$(CC) $(SHIM_LDFLAGS) -o $@ $^ -ljansson -lseccomp

# PID 1 of shared PID namespaces: freestanding, a few pages per pod.
$(BUILD)/deckhand-pause: cri/builtin/pause/pause.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@ (freestanding)")
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -ffreestanding -fno-stack-protector -fno-pie -no-pie \
		-nostdlib -static -Wl,--build-id=none -o $@ $<

$(BUILD)/tests/test-%: $(BUILD)/obj/tests/unit/test-%.o $(BUILD)/obj/tests/unit/test.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/integration/%.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# gcc builds link each fuzz target with a replay main that runs its corpus.
$(BUILD)/tests/fuzz-%: $(BUILD)/obj/tests/fuzz/fuzz-%.o $(BUILD)/obj/tests/fuzz/replay.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# Benchmarks print figures for the speed and memory targets: each
# bench/bench-*.c is a program, linked with the other bench/*.c (shared
# helpers) and the core library like the unit tests. Run as root:
#   make bench && build/bench/bench-runtime [-n N] [--pods P]
BENCH_SRC := $(wildcard bench/bench-*.c)
BENCH_COMMON := $(filter-out $(BENCH_SRC),$(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: bench
bench: $(BINS) $(BENCH_BIN)

$(BUILD)/bench/bench-%: $(BUILD)/obj/bench/bench-%.o $(BENCH_COMMON:%.c=$(BUILD)/obj/%.o) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(BENCH_SRC:%.c=$(BUILD)/obj/%.d) $(BENCH_COMMON:%.c=$(BUILD)/obj/%.d)

unit: $(UNIT_BIN) $(TEST_PROGS)

test: $(BINS) $(UNIT_BIN) $(FUZZ_REPLAY) $(TEST_PROGS)
	@BUILD=$(BUILD) tests/run.sh

deps:
	@scripts/deps.sh

# Generated protobuf-c code is committed, so builds need no protoc-c; after
# editing a .proto, regenerate with `make proto` (protobuf-c-compiler).
PROTOS := probes/grpc-health.proto
.PHONY: proto
proto:
	protoc-c --c_out=. $(PROTOS)

# libFuzzer builds for long fuzzing runs: make fuzz && build-fuzz/fuzz-manifest tests/fuzz/corpus/manifest
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DDH_VERSION='"$(VERSION)"'
fuzz: $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
build-fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(CORE_SRC)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build build-san build-fuzz

-include $(CORE_OBJ:.o=.d) $(BUILD)/obj/agent/main.d $(BUILD)/obj/agent/ctl/main.d \
	$(BUILD)/obj/cri/builtin/shim/main.d \
	$(UNIT_SRC:%.c=$(BUILD)/obj/%.d) $(FUZZ_SRC:%.c=$(BUILD)/obj/%.d) \
	$(TEST_PROGS:$(BUILD)/tests/%=$(BUILD)/obj/tests/integration/%.d)
