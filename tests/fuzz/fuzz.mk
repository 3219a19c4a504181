# libFuzzer targets (tests/fuzz/README.md): one binary per tests/fuzz/fuzz_NAME.c, built
# by Debian's clang with libFuzzer, ASan and UBSan on the host.
#
#   make fuzz          run each fuzzer for FUZZ_SECONDS (60) and print executions and crashes
#   make fuzz-quick    run each for FUZZ_QUICK_RUNS inputs (part of make test)
#   make fuzz-build    build them only
#   make fuzz-NAME     run one for FUZZ_SECONDS
#
# Each fuzz_NAME.c names the sources it needs on a line "// FUZZ-SOURCES: a.c b.c";
# its seeds live in tests/fuzz/corpus/NAME/.

FUZZ_CC         ?= clang
FUZZ_SECONDS    ?= 60
FUZZ_QUICK_RUNS ?= 20000
FUZZ_CFLAGS := -std=gnu11 -O2 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wno-unused-parameter -I. -Iinclude -isystem $(B)/include \
	-DXENOLITH_HOST_TEST

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZERS    := $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_NAMES))

fuzz_sources = $(shell sed -n 's|^// *FUZZ-SOURCES: *||p' $(1))

-include $(wildcard $(B)/fuzz/*.d)

.SECONDEXPANSION:
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(call fuzz_sources,tests/fuzz/fuzz_%.c) $(B)/include/xen
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -MF $@.d -o $@ $< $(call fuzz_sources,$<)

fuzz-build: $(FUZZERS)

fuzz: $(FUZZERS)
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $(FUZZERS)

fuzz-quick: $(FUZZERS)
	tests/fuzz/run.sh --runs $(FUZZ_QUICK_RUNS) $(FUZZERS)

$(patsubst %,fuzz-%,$(FUZZ_NAMES)): fuzz-%: $(B)/fuzz/fuzz_%
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $<

.PHONY: fuzz fuzz-quick fuzz-build $(patsubst %,fuzz-%,$(FUZZ_NAMES))

clean: fuzz-clean
fuzz-clean:
	rm -rf $(B)/fuzz
.PHONY: fuzz-clean

# Rewrite the committed seeds (tests/fuzz/mkcorpus.c) after a target's input format changes.
fuzz-corpus: tests/fuzz/mkcorpus.c $(B)/include/xen
	@mkdir -p $(B)/fuzz
	$(HOSTCC) -std=gnu11 -Wall -Wextra -Werror -isystem $(B)/include -o $(B)/fuzz/mkcorpus $<
	$(B)/fuzz/mkcorpus tests/fuzz/corpus
.PHONY: fuzz-corpus
