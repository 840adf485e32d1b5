# ritual - a plain GNU Makefile.
#   make            build build/ritual and build/rituald
#   make check      install missing packages, build, run every test
#   make demo       install missing packages, build, publish the sample week
#                   to the local fake APIs
#   make asan       the same suite under AddressSanitizer + UBSan
#   make install    PREFIX=/usr/local DESTDIR=
#   make bench      measurements (idle CPU, RSS, latency)
#   make fuzz       libFuzzer targets (clang)
# SANITIZE=address,undefined builds everything with those sanitizers into
# build-san/ so that a sanitized and a plain tree can coexist.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOCDIR   ?= $(PREFIX)/share/doc/ritual
DESTDIR  ?=

CC       ?= cc
PKG_CONFIG ?= pkg-config
# Debian's python3, whose python3-* packages the tests use
PYTHON   ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
LIBS_PC  := libcurl libconfig sqlite3 jansson libsystemd libcrypto zlib
# libvips: its headers at build time; the programs open it with dlopen on
# the first image (src/image.c), by the name its library records.
VIPS_SONAME := $(shell objdump -p "$$($(PKG_CONFIG) --variable=libdir vips 2>/dev/null)/libvips.so" 2>/dev/null | awk '/SONAME/ { print $$2 }')

WARN     := -Wall -Wextra -Wno-format-truncation -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes \
            -Wmissing-prototypes -Wmissing-declarations -Wformat=2 -Wno-unused-parameter
CFLAGS   ?= -O2 -g
# clang has no -Wformat-truncation, and its -Wformat-nonliteral (in
# -Wformat=2) also flags the va_list formatters that take their format from
# a checked caller (RT_PRINTF).
ifneq ($(shell $(CC) --version 2>/dev/null | grep -c clang),0)
WARN     := $(filter-out -Wno-format-truncation,$(WARN)) -Wno-format-nonliteral
endif
ifdef WERROR
WARN     += -Werror
endif

ifdef SANITIZE
BUILD    ?= build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD    ?= build
SANFLAGS :=
endif

# Hardening, on by default (HARDEN=0 turns it off). It comes before the
# given CPPFLAGS/CFLAGS/LDFLAGS (dpkg-buildflags), so that theirs win; a
# _FORTIFY_SOURCE given there replaces ours. Sanitizer builds leave
# fortify out (it hides the accesses ASan checks).
HARDEN   ?= 1
ifeq ($(HARDEN),1)
ifndef SANITIZE
ifeq ($(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),)
HARDEN_CPPFLAGS := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
endif
HARDEN_CFLAGS  := -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
endif

PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) vips 2>/dev/null) \
            $(if $(VIPS_SONAME),-DRITUAL_VIPS_SONAME=\"$(VIPS_SONAME)\")
PC_LIBS   = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null) -lunistring -ldl
# the unit tests make their own images with libvips
VIPS_LIBS = $(shell $(PKG_CONFIG) --libs vips 2>/dev/null)
# Sanitizer builds load libvips at start (dlopen then finds it loaded):
# LeakSanitizer's exit scan crashed now and then ("Tracer caught signal
# 11") on the dynamic TLS of a dlopen'd libvips' threads.
ifdef SANITIZE
RITUAL_VIPS = -Wl,--no-as-needed $(VIPS_LIBS) -Wl,--as-needed
endif
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

VERSION  := 0.1.0
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -DRITUAL_VERSION=\"$(VERSION)\" $(WARN) $(SANFLAGS) -Iinclude $(PC_CFLAGS) \
              $(HARDEN_CPPFLAGS) $(HARDEN_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP
# --as-needed: each program records only the libraries it calls.
ALL_LDFLAGS = $(SANFLAGS) $(HARDEN_LDFLAGS) -Wl,--as-needed $(LDFLAGS)

CORE_SRC := $(filter-out src/ritual.c src/rituald.c,$(wildcard src/*.c src/net/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libritual.a
PROGS    := $(BUILD)/ritual $(BUILD)/rituald
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps deps-test check unit e2e demo asan install uninstall clean bench fuzz lint valgrind

all: $(PROGS)

deps:
	@sh scripts/deps.sh

deps-test:
	@sh scripts/deps.sh test

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/ritual: $(BUILD)/src/ritual.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PC_LIBS) $(RITUAL_VIPS) -lm

$(BUILD)/rituald: $(BUILD)/src/rituald.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PC_LIBS) -lm

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(PC_LIBS) $(VIPS_LIBS) -lm

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

unit: $(UNIT_BIN)

# The whole suite: unit tests (cmocka) and end-to-end tests against the fake
# APIs. The runner's last line is "N passed, N failed".
check: deps-test
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) sh tests/run

asan:
	@$(MAKE) --no-print-directory check SANITIZE=address,undefined

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh scripts/demo.sh

# The unit is made from etc/rituald.service.in for this prefix: ExecStart
# and ExecReload name the installed rituald, the config is under
# SYSCONFDIR. Nothing is installed under SYSCONFDIR itself (the owner's
# file): the example goes to DOCDIR, see README "Set it up for real".
UNIT_SED = -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: all
	@mkdir -p $(BUILD)
	sed $(UNIT_SED) etc/rituald.service.in > $(BUILD)/rituald.service
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/ritual $(DESTDIR)$(BINDIR)/ritual
	install -m 0755 $(BUILD)/rituald $(DESTDIR)$(SBINDIR)/rituald
	install -m 0644 man/ritual.1 $(DESTDIR)$(MANDIR)/man1/ritual.1
	install -m 0644 man/ritual.conf.5 $(DESTDIR)$(MANDIR)/man5/ritual.conf.5
	install -m 0644 man/rituald.8 $(DESTDIR)$(MANDIR)/man8/rituald.8
	install -m 0644 $(BUILD)/rituald.service $(DESTDIR)$(UNITDIR)/rituald.service
	install -m 0644 etc/ritual.sysusers $(DESTDIR)$(SYSUSERSDIR)/ritual.conf
	install -m 0644 etc/ritual.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ritual.conf
	install -m 0644 etc/ritual.conf.example $(DESTDIR)$(DOCDIR)/ritual.conf.example

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ritual $(DESTDIR)$(SBINDIR)/rituald \
	    $(DESTDIR)$(MANDIR)/man1/ritual.1 $(DESTDIR)$(MANDIR)/man5/ritual.conf.5 \
	    $(DESTDIR)$(MANDIR)/man8/rituald.8 $(DESTDIR)$(UNITDIR)/rituald.service \
	    $(DESTDIR)$(SYSUSERSDIR)/ritual.conf $(DESTDIR)$(TMPFILESDIR)/ritual.conf \
	    $(DESTDIR)$(DOCDIR)/ritual.conf.example
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

bench: all $(BUILD)/wake_bench
	@sh scripts/deps.sh bench
	@BUILD=$(BUILD) sh bench/run

# the cost of one wake on a given queue (bench/run.py, BENCH_ONLY=wake)
$(BUILD)/wake_bench: $(BUILD)/bench/wake_bench.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PC_LIBS) -lm

# The end-to-end suite with every ritual and rituald under valgrind
# (memcheck; definite leaks and invalid accesses fail the run).
valgrind: all
	@command -v valgrind >/dev/null || { echo "valgrind: apt-get install valgrind"; exit 1; }
	@RITUAL_VALGRIND=1 BUILD=$(BUILD) $(PYTHON) tests/e2e/run.py

lint:
	@! grep -nE '\b(sprintf|vsprintf|strcpy|strcat|gets|strtok|atoi|atol)\s*\(' src/*.c src/net/*.c \
	    || { echo "lint: banned call (use snprintf, buf_*, strtol)"; exit 1; }
	@echo "lint: OK"

# ---- fuzz: libFuzzer targets (tests/fuzz/README.md) -------------------------
# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="cron time"] [FUZZ_SEED=N]: build
# every target with clang (ASan + UBSan + libFuzzer) into build-fuzz/ and run
# each for FUZZ_SECONDS on a copy of its corpus in build-fuzz/corpus/<target>,
# from a random seed unless FUZZ_SEED is given.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SEED    ?=
FUZZ_BUILD   := build-fuzz
FUZZ_ALL     := postfile config cron time format media meta instagram linkedin
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 -std=c11 -D_GNU_SOURCE -DRITUAL_VERSION=\"fuzz\" -Iinclude \
                $(PC_CFLAGS) $(FUZZ_SAN) -MMD -MP
FUZZ_WRAP    := -Wl,--wrap=http_perform -Wl,--wrap=mediahost_put \
                -Wl,--wrap=mediahost_check -Wl,--wrap=mediahost_name
FUZZ_OBJ     := $(CORE_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB     := $(FUZZ_BUILD)/libritual-fuzz.a
FUZZ_BIN     := $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_HOBJ    := $(FUZZ_ALL:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%.o) \
                $(FUZZ_BUILD)/tests/fuzz/fuzz_common.o

# kept: not intermediate files of the pattern-rule chain
.SECONDARY: $(FUZZ_HOBJ)

$(FUZZ_BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o \
		$(FUZZ_BUILD)/tests/fuzz/fuzz_common.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_WRAP) -o $@ $^ $(PC_LIBS) -lm

fuzz: $(FUZZ_BIN)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) \
	    sh tests/fuzz/run.sh $(FUZZ_TARGETS)

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_BUILD)/tests/fuzz/*.d

clean:
	rm -rf build build-san build-fuzz

-include $(CORE_OBJ:.o=.d) $(BUILD)/src/ritual.d $(BUILD)/src/rituald.d $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d)
