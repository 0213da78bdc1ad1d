# libFuzzer targets (clang from Debian 12: packages clang and libclang-rt-14-dev).
#
# Included by the top-level Makefile, or used on its own from the repository root:
#   make -f tests/fuzz/fuzz.mk fuzz-build          build every target into build/fuzz/
#   make -f tests/fuzz/fuzz.mk fuzz FUZZ_SECONDS=300
#   make -f tests/fuzz/fuzz.mk fuzz-regress        every target once over its corpus and regressions
#
# The core sources are compiled again with clang, ASan and UBSan (and the
# fuzzer's coverage instrumentation, -fsanitize=fuzzer-no-link) into
# build/fuzz/obj/, separate from the g++ build; each target links only the
# objects it needs out of build/fuzz/libtwotp_fuzz.a. pam_module/pam/ (the PAM
# glue) is left out: no target needs libpam.
#
# Every variable here starts with FUZZ_ so that nothing collides with the
# top-level Makefile's CXX, CXXFLAGS, BUILD or LIBS.

FUZZ_CXX      ?= clang++
FUZZ_BUILD    ?= $(or $(BUILD),build)/fuzz
FUZZ_SECONDS  ?= 60
# UBSan aborts instead of printing and going on, so undefined behaviour is a
# crash that libFuzzer records like any other.
FUZZ_SANITIZE ?= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CXXFLAGS ?= -std=c++20 -g1 -O1 -fno-omit-frame-pointer -Wall -Wextra
FUZZ_CPPFLAGS := -Ipam_module -Itests/common -Itests/fuzz
FUZZ_LIBS     := -lconfig -lldap -llber -lssl -lcrypto -lhttp_parser

FUZZ_LIB_SRCS    := $(filter-out pam_module/directory/ldap_plugin_entry.cc,$(foreach dir,login twilio directory state config base,$(wildcard pam_module/$(dir)/*.cc)))
FUZZ_LIB_OBJS    := $(FUZZ_LIB_SRCS:pam_module/%.cc=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LIB         := $(FUZZ_BUILD)/libtwotp_fuzz.a
FUZZ_TARGET_SRCS := $(wildcard tests/fuzz/fuzz_*.cc)
FUZZ_TARGET_OBJS := $(FUZZ_TARGET_SRCS:tests/fuzz/%.cc=$(FUZZ_BUILD)/obj/%.o)
FUZZ_TARGETS     := $(FUZZ_TARGET_SRCS:tests/fuzz/%.cc=$(FUZZ_BUILD)/%)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-clean

fuzz-build: $(FUZZ_TARGETS)

# Each target for FUZZ_SECONDS (default 60), one after the other.
fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS)

# Quick: each target once over its seeds and its saved crash inputs.
fuzz-regress: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run_fuzz.sh --regress

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

# Static pattern rules: they take precedence over the top-level Makefile's
# implicit $(BUILD)/%.o rule.
$(FUZZ_LIB_OBJS): $(FUZZ_BUILD)/obj/%.o: pam_module/%.cc
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) $(FUZZ_SANITIZE) -fsanitize=fuzzer-no-link $(FUZZ_CPPFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_TARGET_OBJS): $(FUZZ_BUILD)/obj/%.o: tests/fuzz/%.cc
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -Werror $(FUZZ_SANITIZE) -fsanitize=fuzzer-no-link $(FUZZ_CPPFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_TARGETS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/%.o $(FUZZ_LIB)
	$(FUZZ_CXX) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(FUZZ_LIBS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_TARGET_OBJS:.o=.d)
