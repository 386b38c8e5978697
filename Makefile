# Makefile - build ./vmrecon and its modules, run the tests, install.
# See reconciler/DESIGN.md ("Modules") and tests/README.md ("Building and
# testing").
#
#   make            install missing build packages, build ./vmrecon and
#                   the modules in build/rel/lib/vmrecon/ (vmrecon-http.so,
#                   vmrecon-libvirt.so where libvirt is) and the helper
#                   vmrecon-git-helper beside them
#   make check      the quick tier: build, then the unit tests and the CLI,
#                   loader, state and emulator suites (tests/README.md);
#                   ends with "N passed, N failed, N skipped"
#   make test       build and run every test (CI's command); ends the same
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan
#                   (plain `make test` reruns the fast tests under them too,
#                   and the libvirt-dependent ones on a build without it)
#   make HAVE_LIBVIRT=0 B=build/nolv test-bins   build as if libvirt were
#                   not installed (no libvirt module)
#   make fuzz FUZZ_SECONDS=N   run each libFuzzer target N seconds
#   make demo       diff, apply, diff an example on the built-in sim backend
#   make demo-eflow the eflow backend against the EFLOW emulator: the
#                   Set-EflowVM pitfall beside what vmrecon sends
#   make bench      measure speed and footprint (tests/bench/run); fails
#                   when a row could not be measured (not part of make test)
#   make install PREFIX=/usr/local DESTDIR=   bin/vmrecon, lib/vmrecon/*.so
#                   and vmrecon-git-helper, the man pages and the completion; relocatable (the
#                   binary finds its modules from /proc/self/exe); installs no
#                   packages: it names the missing ones and stops
#   make deb        the .deb packages (vmrecon, vmrecon-git, vmrecon-http,
#                   vmrecon-libvirt) in build/deb/debs/, built with dpkg-deb
#                   (reconciler/packaging/build-deb says how and why)

PREFIX ?= /usr/local
CC ?= cc
SANITIZE ?=

BUILD_PKGS = libyaml-dev libjansson-dev libcurl4-openssl-dev libgit2-dev \
	libssl-dev pkg-config gcc make libc6-dev
TEST_PKGS = python3 python3-jsonschema python3-yaml valgrind git openssl \
	mandoc faketime dpkg-dev lintian \
	qemu-system-x86 busybox-static cpio lz4 xz-utils pci.ids \
	lighttpd lighttpd-mod-openssl openssh-server openssh-client \
	libvirt-dev libxml2-dev libvirt-daemon libvirt-daemon-driver-qemu \
	libvirt-clients libvirt-daemon-system libvirt-daemon-system-sysv \
	clang libclang-rt-dev
BENCH_PKGS = time binutils libc-bin python3 git lighttpd \
	qemu-system-x86 busybox-static cpio lz4 xz-utils

# The core binary links libyaml and jansson only; the heavier libraries
# are linked into modules (schema/util/module.h), opened when a command needs
# them: vmrecon-http.so (libcurl and libcrypto: HTTPS sources, --notify,
# --commit-status), vmrecon-libvirt.so; and libgit2 into the helper
# vmrecon-git-helper, which watch runs per Git call (gitops/gitproto.h).
CORE_PKGS = yaml-0.1 jansson
GIT_PKGS = libgit2
HTTP_PKGS = libcurl libcrypto
PKGS = $(CORE_PKGS) $(GIT_PKGS) $(HTTP_PKGS)

# The libvirt backend is built only where libvirt (and its libxml2) is
# found; `make HAVE_LIBVIRT=0` builds as if it were not.
HAVE_LIBVIRT ?= $(shell pkg-config --exists libvirt libxml-2.0 && echo 1)
ifeq ($(HAVE_LIBVIRT),1)
VIRT_PKGS = libvirt libxml-2.0
LIBVIRT_DEF = -DVR_HAVE_LIBVIRT
endif

ifeq ($(SANITIZE),1)
B = build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
# gcc's shared libubsan carries 6 MB of zeroed globals that LeakSanitizer
# reads at every exit: 16 ms of page faults per process, a quarter of a
# short run's cost (vmrecon version: 67 ms, 51 without).  Executables take UBSan's runtime statically (and export
# it, -rdynamic); a module links only ASan's and binds the UBSan handlers to
# the executable that opens it.
SAN_EXE_LDFLAGS = $(SANFLAGS) -static-libubsan
SAN_MOD_LDFLAGS = -fsanitize=address
else
B = build/rel
SANFLAGS =
endif

CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC $(LIBVIRT_DEF) $(WARN) $(CFLAGS) \
	$(SANFLAGS) \
	$(shell pkg-config --cflags $(PKGS) $(VIRT_PKGS) 2>/dev/null) -MMD -MP
libs = $(shell pkg-config --libs $(1) 2>/dev/null)
CORE_LIBS = $(call libs,$(CORE_PKGS))
LDLIBS = $(call libs,$(PKGS))
ALL_LDFLAGS = $(LDFLAGS) $(SAN_EXE_LDFLAGS)
# executables export their symbols to the modules they open; a module binds
# its own names to itself (modules.h)
EXE_LDFLAGS = $(ALL_LDFLAGS) -rdynamic
MOD_LDFLAGS = $(LDFLAGS) $(SAN_MOD_LDFLAGS) -shared -Wl,-Bsymbolic

VERSION := $(shell cat reconciler/VERSION 2>/dev/null || echo 0.0.0)

# Sources: each module's, the module entries (mod_*.c) and the git
# helper's main, the core's stand-ins for the http module and the git helper
# (http_load.c, gitproxy.c), and the core.
GIT_SRC = reconciler/gitops/gitsource.c
HTTP_SRC = reconciler/gitops/source_http.c reconciler/report/notify.c \
	reconciler/report/commitstatus.c
VIRT_SRC = backends/libvirt.c
ENTRY_SRC = reconciler/modules/git_helper.c reconciler/modules/mod_http.c \
	backends/mod_libvirt.c
LOAD_SRC = reconciler/gitops/gitproxy.c reconciler/modules/http_load.c
CORE_SRC = $(filter-out $(GIT_SRC) $(HTTP_SRC) $(VIRT_SRC) $(ENTRY_SRC) \
	$(LOAD_SRC) reconciler/cli/main.c, $(sort $(wildcard schema/*.c schema/util/*.c \
	backends/*.c reconciler/*/*.c)))
o = $(1:%.c=$(B)/%.o)
CORE_OBJ = $(call o,$(CORE_SRC))
# the objects unit tests and tools link directly (no module for git, http)
LIB_SRC = $(CORE_SRC) $(GIT_SRC) $(HTTP_SRC)
LIB_OBJ = $(call o,$(LIB_SRC))

MODDIR = $(B)/lib/vmrecon
MODULES = $(MODDIR)/vmrecon-http.so
HELPERS = $(MODDIR)/vmrecon-git-helper
# what the helper links: libgit2's source, its main, the bottom layer
HELPER_SRC = $(GIT_SRC) reconciler/gitops/gitsource_common.c \
	reconciler/gitops/url.c \
	reconciler/modules/git_helper.c $(wildcard schema/util/*.c)
ifeq ($(HAVE_LIBVIRT),1)
MODULES += $(MODDIR)/vmrecon-libvirt.so
endif

UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ = $(UNIT_SRC:%.c=$(B)/%.o)
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
TOOLS = $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into build/fuzz
# from the same sources with the fuzzer's coverage and ASan + UBSan.
FUZZ_CC = clang
FB = build/fuzz
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g $(FUZZ_FLAGS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS = $(FUZZ_SRC:tests/fuzz/%.c=$(FB)/%)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FB)/%.o)
FUZZ_SECONDS ?= 60

# missing-packages: a shell fragment setting $$missing to the Debian
# packages of $(1) that are not installed.
missing-packages = missing=""; for p in $(1); do \
	dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	grep -q 'install ok installed' || missing="$$missing $$p"; done

# ensure-packages: install the Debian packages in $(1) that are missing,
# with apt-get, and only when something is missing.
define ensure-packages
@$(call missing-packages,$(1)); \
if [ -n "$$missing" ]; then \
	echo "installing:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then s=; else s=sudo; fi; \
	$$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	$$s apt-get install -y -qq --no-install-recommends $$missing \
	>/dev/null || exit 1; \
fi
endef

# check-packages: name the Debian packages in $(1) that are missing and
# fail; never installs them (make install, make deb).
define check-packages
@$(call missing-packages,$(1)); \
if [ -n "$$missing" ]; then \
	echo "missing Debian packages:$$missing"; \
	echo "install them (apt-get install$$missing, or make deps), then" \
	"run this again"; exit 1; \
fi
endef

all: deps
	@$(MAKE) --no-print-directory vmrecon modules

deps:
	$(call ensure-packages,$(BUILD_PKGS))

check-deps:
	$(call check-packages,$(BUILD_PKGS))

test-deps: deps pwsh-tool
	$(call ensure-packages,$(TEST_PKGS))

# A real pwsh for the tests that run vmrecon's PowerShell (tests/eflow-pwsh):
# the PowerShell .NET global tool, installed where the .NET SDK is and only
# when ~/.dotnet/tools/pwsh does not run yet (NuGet serves only 7.6.9).
# Where it cannot be had, those tests print skips saying why.
PWSH_VERSION = 7.6.9
pwsh-tool:
	@if "$$HOME/.dotnet/tools/pwsh" -NoProfile -NonInteractive \
		-Command exit >/dev/null 2>&1; then :; \
	elif command -v dotnet >/dev/null; then \
		echo "installing pwsh $(PWSH_VERSION) (dotnet tool install)"; \
		dotnet tool install --global PowerShell \
		--version $(PWSH_VERSION) >/dev/null || \
		echo "pwsh: dotnet tool install failed; its tests will skip"; \
	else echo "pwsh: no dotnet here; its tests will skip"; fi

vmrecon: $(B)/vmrecon
	cp $< $@

modules: $(MODULES) $(HELPERS)

$(B)/vmrecon: $(CORE_OBJ) $(call o,$(LOAD_SRC)) $(B)/reconciler/cli/main.o
	@echo "  LD $@"; $(CC) $(EXE_LDFLAGS) -o $@ $^ $(CORE_LIBS)

$(MODDIR)/vmrecon-git-helper: $(call o,$(HELPER_SRC))
	@mkdir -p $(dir $@)
	@echo "  LD $@"; $(CC) $(ALL_LDFLAGS) -o $@ $^ \
		$(call libs,$(GIT_PKGS) jansson)

$(MODDIR)/vmrecon-http.so: $(call o,$(HTTP_SRC) reconciler/modules/mod_http.c)
	@mkdir -p $(dir $@)
	@echo "  LD $@"; $(CC) $(MOD_LDFLAGS) -o $@ $^ $(call libs,$(HTTP_PKGS))

$(MODDIR)/vmrecon-libvirt.so: $(call o,$(VIRT_SRC) backends/mod_libvirt.c)
	@mkdir -p $(dir $@)
	@echo "  LD $@"; $(CC) $(MOD_LDFLAGS) -o $@ $^ $(call libs,$(VIRT_PKGS))

# unit tests link git and http directly and open the libvirt module
$(B)/unit: $(LIB_OBJ) $(UNIT_OBJ) $(filter %libvirt.so,$(MODULES))
	@echo "  LD $@"; $(CC) $(EXE_LDFLAGS) -o $@ $(LIB_OBJ) $(UNIT_OBJ) \
		$(LDLIBS)

$(B)/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"; $(CC) $(ALL_CFLAGS) $(EXE_LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

# where a binary run from the tree finds the modules (schema/util/module.c)
$(B)/schema/util/module.o: ALL_CFLAGS += -DVR_BUILD_DIR='"$(abspath $(B))"' \
	-DVR_SRC_DIR='"$(abspath .)"'

$(B)/reconciler/cli/main.o: reconciler/VERSION

$(FB)/.cflags: FORCE
	@mkdir -p $(FB); echo '$(FUZZ_CFLAGS)' | cmp -s - $@ || \
	echo '$(FUZZ_CFLAGS)' > $@

$(FB)/%.o: %.c $(FB)/.cflags
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/fuzz_%: $(FB)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@echo "  LD $@"; $(FUZZ_CC) -fsanitize=fuzzer,address,undefined \
	-o $@ $^ $(LDLIBS)

fuzz-build: deps
	$(call ensure-packages,clang libclang-rt-dev)
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/e2e/t0800-fuzz.sh

# Objects depend on the flags: when libvirt appears (make test installs it
# after a first build), every object is rebuilt with -DVR_HAVE_LIBVIRT.
$(B)/.cflags: FORCE
	@mkdir -p $(B); echo '$(ALL_CFLAGS)' | cmp -s - $@ || \
	echo '$(ALL_CFLAGS)' > $@

$(B)/%.o: %.c $(B)/.cflags
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(ALL_CFLAGS) -DVR_VERSION='"$(VERSION)"' -c -o $@ $<

# `make test` also rebuilds everything with ASan + UBSan into build/san and
# reruns the unit tests and the fast end-to-end scripts on it (tests/run,
# VR_SAN_BUILD); SAN_CHECK=0 skips that, SANITIZE=1 runs everything there.
SAN_CHECK ?= 1
ifeq ($(SANITIZE)$(SAN_CHECK),1)
SAN_BUILD = build/san
endif

# ... and builds build/nolv as if libvirt were not installed, and reruns
# there the suites whose outcome depends on it (tests/run, VR_NOLV_BUILD);
# NOLV_CHECK=0 skips that.
NOLV_CHECK ?= 1
ifeq ($(SANITIZE)$(NOLV_CHECK),1)
NOLV_BUILD = build/nolv
endif

test-bins: $(B)/vmrecon $(MODULES) $(HELPERS) $(B)/unit $(TOOLS)

# Suites run TEST_JOBS at a time (tests/run -j; those tagged exclusive
# alone), and the builds before them use as many jobs, unless make was
# given -j itself.  One more than the processors: a suite waiting on a
# guest, a server or an interval leaves its processor to the others (on 2
# processors, 3 at a time kept them 87 % busy, 2 at a time 82 %).
TEST_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
BUILD_JOBS = $(if $(filter -j% --jobserver%,$(MAKEFLAGS)),,-j$(TEST_JOBS))

test: test-deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) test-bins $(FUZZ_BINS)
	@$(if $(SAN_BUILD),$(MAKE) --no-print-directory $(BUILD_JOBS) \
		SANITIZE=1 test-bins)
	@$(if $(NOLV_BUILD),$(MAKE) --no-print-directory $(BUILD_JOBS) \
		HAVE_LIBVIRT=0 B=$(NOLV_BUILD) test-bins)
	@VR_BUILD=$(B) SANITIZE=$(SANITIZE) VR_SAN_BUILD=$(SAN_BUILD) \
		VR_NOLV_BUILD=$(NOLV_BUILD) tests/run -j $(TEST_JOBS)

# check: the quick tier for development (tests/README.md, "Tiers"): the
# suites not tagged full-only, on $(B) only (no sanitizer or no-libvirt
# pass)
check: test-deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) test-bins
	@VR_BUILD=$(B) SANITIZE=$(SANITIZE) tests/run -j $(TEST_JOBS) --quick

# bench: what it measures and how is in tests/bench/README.md.  A row
# that could not be measured says so, and makes `make bench` fail.
BENCH_BIN = $(B)/bench/yaml_events $(B)/bench/plan_driver \
	$(B)/bench/empty_yj

$(B)/bench/empty_yj: tests/bench/empty_yj.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(CORE_LIBS)

$(B)/bench/yaml_events: tests/bench/yaml_events.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
		$(shell pkg-config --libs yaml-0.1 2>/dev/null)

$(B)/bench/plan_driver: tests/bench/plan_driver.c $(CORE_OBJ) \
		$(call o,$(LOAD_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXE_LDFLAGS) -o $@ $(filter %.c %.o,$^) $(CORE_LIBS)

# (the PowerShell worker's rows run a real pwsh: pwsh-tool, and the driver
# tests/tools/psrun)
bench: deps pwsh-tool
	$(call ensure-packages,$(BENCH_PKGS))
	@$(MAKE) --no-print-directory vmrecon modules $(BENCH_BIN) \
		$(B)/tools/psrun
	@VR_BUILD=$(B) tests/bench/run

demo: all
	@tests/demo

demo-eflow: all
	@tests/demo-eflow

demo-qemu: test-deps
	@$(MAKE) --no-print-directory vmrecon
	@tests/demo-qemu

# installs from $(B) (not ./vmrecon, which the last build of any kind wrote)
install: check-deps
	@$(MAKE) --no-print-directory $(B)/vmrecon modules
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(B)/vmrecon $(DESTDIR)$(PREFIX)/bin/vmrecon
	install -d $(DESTDIR)$(PREFIX)/lib/vmrecon
	install -m 644 $(MODULES) $(DESTDIR)$(PREFIX)/lib/vmrecon/
	install -m 755 $(HELPERS) $(DESTDIR)$(PREFIX)/lib/vmrecon/
	install -m 644 reconciler/cli/vmrecon.1 $(DESTDIR)$(PREFIX)/share/man/man1/vmrecon.1
	install -m 644 schema/vmrecon.yaml.5 $(DESTDIR)$(PREFIX)/share/man/man5/vmrecon.yaml.5
	install -m 644 examples/vmrecon.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/vmrecon

# deb: built into build/deb with all of Debian's hardening flags
# (dpkg-buildflags; lintian checks them), then packaged by
# reconciler/packaging/build-deb
DEB_B = build/deb
DEB_FLAGS = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get
deb: check-deps
	$(call check-packages,dpkg-dev)
	@rm -f $(DEB_B)/vmrecon $(DEB_B)/lib/vmrecon/vmrecon-* # link anew
	@$(MAKE) --no-print-directory B=$(DEB_B) SANITIZE= \
		CFLAGS="$$($(DEB_FLAGS) CFLAGS) $$($(DEB_FLAGS) CPPFLAGS)" \
		LDFLAGS="$$($(DEB_FLAGS) LDFLAGS)" $(DEB_B)/vmrecon modules
	@reconciler/packaging/build-deb $(DEB_B)

clean:
	rm -rf build vmrecon

.PHONY: all deps check-deps test-deps pwsh-tool test check test-bins modules bench \
	demo demo-eflow demo-qemu install deb clean fuzz fuzz-build FORCE

FORCE:

-include $(shell find build -name '*.d' 2>/dev/null)
