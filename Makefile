# pam_twilio_otp: one Makefile, no other build system.
#   make            build the module, the CLI and the tests
#   make check      every test (unit, symbols, layout, integration, cli, ldap, contract, e2e, fuzz, package)
#   make demo       install the build deps, build the module and CLI, and show one real ssh
#                   login on loopback against the local stand-in (root)
#   make demo-pam   the same login through pamtester under pam_wrapper (nothing on the host touched)
#   make install    DESTDIR-aware install into the multiarch PAM directory
#   make deps       apt-get install what the build and make demo need
#   make deps-test  ... and everything the tests, fuzzing and packaging need (CI)
#   make bench      one table of whole logins beside their peers (instructions, memory, time), lookups, crowds (tests/bench/)
#   make check SANITIZE=address,undefined   the same suites under ASan+UBSan (build-sanitize/, -O1 -g1)
#   make valgrind   an integration run under valgrind memcheck
#   make soak       1,000 logins in one process; memory must stay flat
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60); tests/fuzz/README.md
#   make deb / rpm / selinux   packages into build/packages (packaging/)

CXX      ?= g++
# make check SANITIZE=address,undefined: everything built with those
# sanitizers into its own tree, and the suites that can load it run.
SANITIZE ?=
BUILD    ?= $(if $(SANITIZE),build-sanitize,build)
MULTIARCH := $(shell $(CXX) -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
PAMDIR   ?= /lib/$(MULTIARCH)/security
PREFIX   ?= /usr
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc

WARN     := -Wall -Wextra -Werror
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
# Line tables only (-g1): backtraces from gdb, valgrind and the sanitizers
# still name file and line, at 30% less compile time than -g (packages pass
# their distribution's flags). Sanitizer builds at -O1: ASan's own advice
# for readable reports.
CXXFLAGS ?= $(if $(SANITIZE),-O1 -g1,-O2 -g1)
CXXFLAGS += -std=c++20 $(WARN) $(HARDEN) -fvisibility=hidden -fvisibility-inlines-hidden -Ipam_module -Itests/common
LDFLAGS  += -Wl,-z,relro,-z,now -Wl,--as-needed
ifneq ($(SANITIZE),)
CXXFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SANITIZE)
endif
# The suites `make check` runs: all, or under SANITIZE those whose processes
# we start ourselves (sshd, sudo and contract's client are not instrumented).
CHECK_SUITES := $(if $(SANITIZE),unit integration cli ldap)
LIBS     := -lconfig -lssl -lcrypto -lhttp_parser
LDAP_LIBS := -lldap -llber

# pam_module/pam/ is the PAM glue (only in the .so); the other folders are
# the core library that the module, the CLI and the tests all link
# (DESIGN.md: pam -> login -> {twilio, directory, state} -> config -> base;
# tests/layout/check_layout.sh holds the tree to it).
CORE_DIRS := login twilio directory state config base
# The module's two halves (pam/engine.h): the front libpam loads, and the
# engine it loads for a login that goes past the skip rules.
FRONT_SRCS := $(addprefix pam_module/pam/,pam_entry.cc pam_setup.cc pam_glue.cc plugin_loader.cc)
ENGINE_SRCS := $(addprefix pam_module/pam/,engine_entry.cc pam_setup.cc pam_glue.cc plugin_loader.cc \
  ldap_plugin_loader.cc)
# The LDAP backend: linked into the CLI and the tests, and built as the
# plugin the module loads only when it is configured (directory/ldap_plugin.h).
LDAP_SRCS := pam_module/directory/ldap_directory.cc pam_module/directory/ldap_deadline.cc \
  pam_module/directory/ldap_session.cc pam_module/directory/ldap_fleet_store.cc \
  pam_module/directory/ldap_linked.cc
LDAP_PLUGIN_SRC := pam_module/directory/ldap_plugin_entry.cc
CORE_SRCS := $(filter-out $(LDAP_SRCS) $(LDAP_PLUGIN_SRC),$(foreach dir,$(CORE_DIRS),$(wildcard pam_module/$(dir)/*.cc)))
TOOL_SRCS := $(wildcard tool/*.cc)
UNIT_SRCS := $(wildcard tests/unit/test_*.cc)
INTEG_SRCS := $(wildcard tests/integration/*.cc)
CONTRACT_SRCS := $(wildcard tests/contract/*.cc)

CORE_OBJS := $(CORE_SRCS:%.cc=$(BUILD)/%.o)
LDAP_OBJS := $(LDAP_SRCS:%.cc=$(BUILD)/%.o)
FRONT_OBJS := $(FRONT_SRCS:%.cc=$(BUILD)/%.o)
ENGINE_OBJS := $(ENGINE_SRCS:%.cc=$(BUILD)/%.o)
TOOL_OBJS := $(TOOL_SRCS:%.cc=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.cc=$(BUILD)/tests/unit/%)
INTEG_BIN := $(BUILD)/tests/integration/pam_login_test
CONTRACT_BIN := $(BUILD)/tests/contract/contract_client

CORE_LIB := $(BUILD)/libtwotp.a
LDAP_LIB := $(BUILD)/libtwotp_ldap.a
# What a program that links the LDAP backend itself links (the archives
# refer to each other: open_directory.o needs OpenLdapDirectory).
LINKED   := -Wl,--start-group $(LDAP_LIB) $(CORE_LIB) -Wl,--end-group $(LIBS) $(LDAP_LIBS)
MODULE   := $(BUILD)/pam_twilio_otp.so
ENGINE   := $(BUILD)/pam_twilio_otp/engine.so
LDAP_PLUGIN := $(BUILD)/pam_twilio_otp/ldap_directory.so
TOOL     := $(BUILD)/twilio-otp

# Keep objects make would otherwise delete as intermediates.
.SECONDARY:

.PHONY: all check unit integration contract symbols layout demo demo-ssh demo-pam install deps deps-test clean bench \
  valgrind soak \
  deb rpm selinux
all: $(MODULE) $(ENGINE) $(LDAP_PLUGIN) $(TOOL) $(UNIT_BINS) $(if $(INTEG_SRCS),$(INTEG_BIN)) $(if $(CONTRACT_SRCS),$(CONTRACT_BIN))

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LDAP_LIB): $(LDAP_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Each part carries the little of the C++ runtime it uses, hidden: loading
# and relocating libstdc++.so costs every login 3 M instructions, an exempt
# one five times what it costs otherwise. Allocation stays glibc's malloc in
# every copy, so an object made in one part may be freed in another (the
# engine and the LDAP backend share some); nothing is thrown across. Sanitizer
# builds keep the shared runtime, whose allocator the sanitizers replace.
# The runtime's constructors allocate (its emergency exception pool, 72 KiB)
# and nothing frees that at dlclose, so each part stays loaded once loaded
# (-z nodelete, as libstdc++.so itself): a daemon that calls pam_start and
# pam_end for every login would otherwise lose 72 KiB at each.
PART_RUNTIME := $(if $(SANITIZE),,-static-libstdc++ -static-libgcc -Wl,--exclude-libs,ALL -Wl,-z,nodelete)
# The front links no OpenSSL: -z defs fails the link if anything it pulls
# from the core library needs it.
$(MODULE): $(FRONT_OBJS) $(CORE_LIB) pam_module/pam/module.map
	$(CXX) -shared $(LDFLAGS) $(PART_RUNTIME) -Wl,-z,defs -Wl,--version-script=pam_module/pam/module.map \
	  -o $@ $(FRONT_OBJS) $(CORE_LIB) -lpam -lconfig -lhttp_parser

# The parts folder and its files must be writable by their owner alone, or
# the module refuses to load them (pam/plugin_loader.h), whatever the umask.
$(ENGINE): $(ENGINE_OBJS) $(CORE_LIB) pam_module/pam/engine.map
	install -d -m 0755 $(dir $@)
	$(CXX) -shared $(LDFLAGS) $(PART_RUNTIME) -Wl,-z,defs -Wl,--version-script=pam_module/pam/engine.map \
	  -o $@ $(ENGINE_OBJS) $(CORE_LIB) -lpam $(LIBS)
	chmod go-w $@

$(LDAP_PLUGIN): $(LDAP_PLUGIN_SRC:%.cc=$(BUILD)/%.o) $(LDAP_LIB) $(CORE_LIB) pam_module/directory/ldap_plugin.map
	install -d -m 0755 $(dir $@)
	$(CXX) -shared $(LDFLAGS) $(PART_RUNTIME) -Wl,-z,defs -Wl,--version-script=pam_module/directory/ldap_plugin.map \
	  -o $@ $(LDAP_PLUGIN_SRC:%.cc=$(BUILD)/%.o) $(LINKED)
	chmod go-w $@

# The two sides of each plugin boundary carry a hash of every header, so a
# module and a plugin from different builds refuse each other.
TWOTP_ABI := $(shell cat $(sort $(wildcard pam_module/*/*.h)) | sha256sum | cut -c1-16)
ABI_OBJS := $(addprefix $(BUILD)/pam_module/pam/,ldap_plugin_loader.o pam_entry.o engine_entry.o) \
  $(LDAP_PLUGIN_SRC:%.cc=$(BUILD)/%.o)
$(ABI_OBJS): CXXFLAGS += -DTWOTP_ABI='"$(TWOTP_ABI)"'
$(ABI_OBJS): $(wildcard pam_module/*/*.h)

$(TOOL): $(TOOL_OBJS) $(CORE_LIB) $(LDAP_LIB)
	$(CXX) $(LDFLAGS) -pie -o $@ $(TOOL_OBJS) $(LINKED) -lqrencode

# `twilio-otp --version`: the top entry of the Debian changelog, read with sed
# (no dpkg-dev needed); only the file that prints it is rebuilt when it changes.
TWOTP_VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' packaging/debian/changelog 2>/dev/null)
$(BUILD)/tool/twilio_otp.o: CXXFLAGS += -DTWOTP_VERSION='"$(or $(TWOTP_VERSION),unknown)"'
$(BUILD)/tool/twilio_otp.o: $(wildcard packaging/debian/changelog)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(CORE_LIB) $(LDAP_LIB)
	$(CXX) $(LDFLAGS) -o $@ $< -lcmocka $(LINKED)

$(INTEG_BIN): $(INTEG_SRCS:%.cc=$(BUILD)/%.o) $(CORE_LIB) $(LDAP_LIB)
	$(CXX) $(LDFLAGS) -o $@ $(INTEG_SRCS:%.cc=$(BUILD)/%.o) -lpamtest -lpam -lcmocka $(LINKED)

$(CONTRACT_BIN): $(CONTRACT_SRCS:%.cc=$(BUILD)/%.o) $(CORE_LIB) $(LDAP_LIB)
	$(CXX) $(LDFLAGS) -o $@ $(CONTRACT_SRCS:%.cc=$(BUILD)/%.o) $(LINKED)

# The whole suite; tests/run_all.sh prints one "N passed, N failed" line.
check: deps-test all $(if $(SANITIZE),,fuzz-build)
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/run_all.sh $(CHECK_SUITES)

# One integration run (file backend, verify mode) under valgrind memcheck:
# any error or definitely-lost byte fails it.
valgrind: all
	BUILD=$(BUILD) TWOTP_VALGRIND=1 bash tests/run_all.sh integration

# SOAK logins (default 1000) in one process; fails if memory grows.
SOAK ?= 1000
soak: all
	BUILD=$(BUILD) TWOTP_SOAK=$(SOAK) bash tests/run_all.sh integration

unit: $(UNIT_BINS)
	BUILD=$(BUILD) bash tests/run_all.sh unit

integration: all
	BUILD=$(BUILD) bash tests/run_all.sh integration

contract: all
	BUILD=$(BUILD) bash tests/run_all.sh contract

symbols: $(MODULE)
	BUILD=$(BUILD) bash tests/run_all.sh symbols

layout:
	bash tests/run_all.sh layout

# A real ssh login (tests/e2e/demo.py): only the module and the CLI are built.
demo: deps $(MODULE) $(ENGINE) $(TOOL)
	BUILD=$(BUILD) bash tests/demo/run_demo_ssh.sh

demo-pam: deps-test $(MODULE) $(ENGINE) $(TOOL)
	BUILD=$(BUILD) bash tests/demo/run_demo.sh

# The LDAP lookup bench's program; built for `make bench` only, not `all`.
BENCH_LDAP_BIN := $(BUILD)/tests/bench/ldap_lookup_bench
$(BENCH_LDAP_BIN): $(BUILD)/tests/bench/ldap_lookup_bench.o $(CORE_LIB) $(LDAP_LIB)
	$(CXX) $(LDFLAGS) -o $@ $< $(LINKED)

# The users-file lookup bench (1 to 1M lines), likewise.
BENCH_USERS_BIN := $(BUILD)/tests/bench/users_file_bench
$(BENCH_USERS_BIN): $(BUILD)/tests/bench/users_file_bench.o $(CORE_LIB) $(LDAP_LIB)
	$(CXX) $(LDFLAGS) -o $@ $< $(LINKED)

# The bench's C programs, not linked with our code: the peer the table
# compares our logins to (a minimal libcurl client making the same two
# Verify requests), the wrapper that measures each run, and the private /tmp
# of the 200 concurrent logins. deps-test is order-only: libcurl's headers
# must be there first, without forcing a rebuild.
BENCH_C_BINS := $(addprefix $(BUILD)/tests/bench/,minimal_curl_client measure private_tmp)
$(BUILD)/tests/bench/minimal_curl_client: BENCH_C_LIBS := -lcurl
$(BENCH_C_BINS): $(BUILD)/tests/bench/%: tests/bench/%.c | deps-test
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=c11 $(WARN) -o $@ $< $(BENCH_C_LIBS)

# One run: the table, users-file lookups, concurrency, LDAP lookups; the
# figures in tests/bench/results/ (tests/bench/run_bench.sh says what).
bench: deps-test all $(BENCH_LDAP_BIN) $(BENCH_USERS_BIN) $(BENCH_C_BINS)
	BUILD=$(BUILD) bash tests/bench/run_bench.sh

# The same as make demo, by its older name.
demo-ssh: demo

deps:
	bash packaging/install-deps.sh build
deps-test:
	bash packaging/install-deps.sh test

# Packages into $(BUILD)/packages (packaging/; make check's "package" suite
# builds the .deb, installs it, logs in through it and purges it).
deb:
	bash packaging/build-deb.sh $(BUILD)/packages
rpm:
	bash packaging/build-rpm.sh $(BUILD)/packages
selinux:
	bash packaging/selinux/build.sh $(BUILD)/packages

install: $(MODULE) $(ENGINE) $(LDAP_PLUGIN) $(TOOL)
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/security
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_twilio_otp.so
	install -d $(DESTDIR)$(PAMDIR)/pam_twilio_otp
	install -m 0644 $(ENGINE) $(DESTDIR)$(PAMDIR)/pam_twilio_otp/engine.so
	install -m 0644 $(LDAP_PLUGIN) $(DESTDIR)$(PAMDIR)/pam_twilio_otp/ldap_directory.so
	install -m 0755 $(TOOL) $(DESTDIR)$(SBINDIR)/twilio-otp
	test -e $(DESTDIR)$(SYSCONFDIR)/security/pam_twilio_otp.conf || \
	  install -m 0600 conf/pam_twilio_otp.conf.verify $(DESTDIR)$(SYSCONFDIR)/security/pam_twilio_otp.conf
	set -e; for page in $(wildcard man/*.[0-9]); do \
	  sec=$${page##*.}; install -d $(DESTDIR)$(MANDIR)/man$$sec; \
	  install -m 0644 $$page $(DESTDIR)$(MANDIR)/man$$sec/; done

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The libFuzzer targets (clang), last so that `all` stays the default goal.
include tests/fuzz/fuzz.mk
