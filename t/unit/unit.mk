# Unit tests (libcheck) and fuzz targets for lib/; included by ../../Makefile.
#
#   make unit           build and run $(BUILD)/unit-tests
#   make fuzz-replay    replay t/fuzz/corpus/<target>/ through each target
#   make unit-asan      both of the above with ASan/UBSan (BUILD=build/asan)
#   make valgrind-unit  the unit tests under valgrind (CK_FORK=no)
#   make fuzz           libFuzzer (clang) run of each target, FUZZ_TIME s each
#
# Uses the top Makefile's BUILD, CC, CFLAGS_LIB, LIB_OBJ, PKG_CFLAGS,
# APR_LIBS, PKG_LIBS and SAN.

CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS   = $(shell pkg-config --libs check)
UNIT_CFLAGS  = $(CFLAGS_LIB) -It/unit $(CHECK_CFLAGS)
UNIT_SRC     = $(sort $(wildcard t/unit/*.c))
UNIT_OBJ     = $(patsubst t/unit/%.c,$(BUILD)/t/unit/%.o,$(UNIT_SRC))
TEST_LIBS    = $(BUILD)/libgsprov.a $(PKG_LIBS) $(APR_LIBS)

FUZZ_TARGETS = name layer device vars bulk
FUZZ_REPLAY  = $(patsubst %,$(BUILD)/t/fuzz/replay-%,$(FUZZ_TARGETS))
FUZZ_TIME   ?= 60
FUZZ_BUILD   = build/fuzz
FUZZ_CC     ?= clang
ASAN_SAN     = -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined

$(BUILD)/t/unit/%.o: t/unit/%.c t/unit/unit.h $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libgsprov.a $(BUILD)/gsprov_sql.o
	$(CC) $(SAN) -o $@ $(UNIT_OBJ) $(BUILD)/gsprov_sql.o $(TEST_LIBS) \
	    $(CHECK_LIBS)

$(BUILD)/t/fuzz/%.o: t/fuzz/%.c t/fuzz/fuzz.h $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -It/fuzz -c $< -o $@

$(BUILD)/t/fuzz/replay-%: $(BUILD)/t/fuzz/fuzz_%.o $(BUILD)/t/fuzz/replay.o \
                          $(BUILD)/libgsprov.a
	$(CC) $(SAN) -o $@ $(BUILD)/t/fuzz/fuzz_$*.o $(BUILD)/t/fuzz/replay.o \
	    $(TEST_LIBS)

# keep the fuzz objects (make would delete them as intermediates)
.SECONDARY: $(patsubst %,$(BUILD)/t/fuzz/fuzz_%.o,$(FUZZ_TARGETS)) \
            $(BUILD)/t/fuzz/replay.o

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

fuzz-replay: $(FUZZ_REPLAY)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    echo "$(BUILD)/t/fuzz/replay-$$t t/fuzz/corpus/$$t"; \
	    $(BUILD)/t/fuzz/replay-$$t t/fuzz/corpus/$$t; \
	done

# CK_FORK=no: one process, so LeakSanitizer sees every test's allocations
# and any report fails the run.
unit-asan:
	$(MAKE) --no-print-directory BUILD=build/asan SAN="$(ASAN_SAN)" \
	    build/asan/unit-tests $(patsubst %,build/asan/t/fuzz/replay-%,$(FUZZ_TARGETS))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 CK_FORK=no \
	    build/asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1 \
	    $(MAKE) --no-print-directory BUILD=build/asan SAN="$(ASAN_SAN)" \
	    fuzz-replay

valgrind-unit: $(BUILD)/unit-tests
	CK_FORK=no valgrind --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=definite,possible --track-origins=yes \
	    --quiet \
	    $(BUILD)/unit-tests

# libFuzzer: the library built by clang with the fuzzer's instrumentation.
fuzz:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	    $(FUZZ_BUILD)/libgsprov.a \
	    $(patsubst %,$(FUZZ_BUILD)/t/fuzz/fuzz_%.o,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
	    $(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/fuzz-$$t \
	        $(FUZZ_BUILD)/t/fuzz/fuzz_$$t.o $(FUZZ_BUILD)/libgsprov.a \
	        $(PKG_LIBS) $(APR_LIBS); \
	    mkdir -p $(FUZZ_BUILD)/corpus-$$t; \
	    ASAN_OPTIONS=detect_leaks=1 $(FUZZ_BUILD)/fuzz-$$t \
	        -max_total_time=$(FUZZ_TIME) -max_len=65536 \
	        -artifact_prefix=$(FUZZ_BUILD)/$$t- -print_final_stats=1 \
	        -dict=t/fuzz/xml.dict $(FUZZ_BUILD)/corpus-$$t t/fuzz/corpus/$$t; \
	done

.PHONY: unit fuzz-replay unit-asan valgrind-unit fuzz
