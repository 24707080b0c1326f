# Saffron build. `make` builds the library and demo, `make test` installs
# missing Debian packages, builds and runs every test; `make asan|tsan` run the
# same tests under sanitizers in build/<san>/. V=1 shows commands.

BUILD ?= build
SAN ?=
CC ?= cc
PKGS := liburcu ck pixman-1 libssl libcrypto spice-protocol liblz4 opus libjpeg
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
GLIB_CLIENT := spice-client-glib-2.0

WARN := -Wall -Wextra -Werror -Werror=implicit-function-declaration \
	-Werror=incompatible-pointer-types -Werror=strict-prototypes -Werror=format \
	-Werror=missing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -I. -fPIC -pthread $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -pthread

ifeq ($(SAN),)
MALLOC_LIBS := -ljemalloc
else
# Sanitizer builds use libc malloc (conventions §13).
CFLAGS += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer -DSF_DEBUG
LDFLAGS += -fsanitize=$(SAN)
MALLOC_LIBS :=
ifeq ($(SAN),thread)
CFLAGS += -DCK_USE_CC_BUILTINS=1
endif
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS := $(wildcard engine/*.c) $(wildcard channels/*.c) $(wildcard encoders/*.c) \
	$(wildcard migrate/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DEMO_SRCS := $(wildcard demo/*.c)
DEMO_OBJS := $(DEMO_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := tests/unit.c $(wildcard tests/engine/*.c) $(wildcard tests/channels/*.c) \
	$(wildcard tests/shim/*.c) $(wildcard tests/encoders/*.c) $(wildcard tests/migrate/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)

SHIM_SRCS := $(wildcard shim/*.c)
SHIM_OBJS := $(SHIM_SRCS:%.c=$(BUILD)/%.o)
SHIM_CFLAGS := $(shell pkg-config --cflags spice-server) -fvisibility=hidden
SHIM := $(BUILD)/shim/libspice-server.so.1

all: $(BUILD)/libsaffron.a $(BUILD)/saffron-demo $(BUILD)/tests/unit \
	$(BUILD)/tests/glib-client $(BUILD)/tests/rawclient $(BUILD)/tests/ppmcmp $(BUILD)/tests/pattern $(BUILD)/tests/glib-audio \
	$(BUILD)/tests/glib-chardev $(BUILD)/tests/glib-migrate $(BUILD)/tests/glib-frame $(BUILD)/tests/qmp $(BUILD)/tests/chardev-host $(SHIM) \
	$(BUILD)/bench/harness $(BUILD)/tests/qxl-loadvm $(BUILD)/tests/vgatick

$(BUILD)/shim/%.o: shim/%.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(SHIM_CFLAGS) -MMD -MP -c $< -o $@

# The drop-in: every spice-server symbol with its version node, nothing else
# exported; no jemalloc (it would replace the embedder's malloc).
$(SHIM): $(SHIM_OBJS) $(LIB_OBJS) shim/spice-server.syms
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libspice-server.so.1 \
		-Wl,--version-script=shim/spice-server.syms -Wl,--no-undefined \
		-o $@ $(SHIM_OBJS) $(LIB_OBJS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsaffron.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/saffron-demo: $(DEMO_OBJS) $(BUILD)/libsaffron.a
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm $(MALLOC_LIBS)

$(BUILD)/tests/unit: $(UNIT_OBJS) $(BUILD)/shim/memslot.o $(BUILD)/shim/qxl-parse.o \
		$(BUILD)/libsaffron.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BUILD)/tests/soak-client: $(BUILD)/tests/soak/soak.o $(BUILD)/libsaffron.a
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

soak: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/soak-client
	$(Q)BUILD=$(BUILD) sh tests/soak/run.sh

$(BUILD)/tests/ppmcmp: $(BUILD)/tests/e2e/ppmcmp.o
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/pattern: $(BUILD)/tests/e2e/pattern.o
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/rawclient: $(BUILD)/tests/e2e/rawclient.o $(BUILD)/libsaffron.a
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The spice-gtk test client is built without our warning set's
# missing-prototypes check on GLib's macros, but with -Werror otherwise.
$(BUILD)/tests/glib-client: tests/e2e/glib-client.c $(BUILD)/demo/guest.o $(BUILD)/libsaffron.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Werror -I. $(PKG_CFLAGS) $(filter -fsanitize=%,$(CFLAGS)) \
		$(shell pkg-config --cflags $(GLIB_CLIENT)) -o $@ $< $(BUILD)/demo/guest.o \
		$(BUILD)/libsaffron.a $(shell pkg-config --libs $(GLIB_CLIENT)) $(LDLIBS) $(LDFLAGS)

# bench/: the spice.h harness links the reference's soname; LD_LIBRARY_PATH
# decides which library runs. `make test` uses it as a guest (formats.sh);
# timed runs are never part of it.
$(BUILD)/bench/harness: bench/harness.c tests/host/core.c bench/pixels.h channels/names.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. \
		$(shell pkg-config --cflags spice-server) -o $@ $^ -lspice-server -pthread

# A spice.h-only QXL device like the harness: the same binary on either library.
$(BUILD)/tests/qxl-loadvm: tests/e2e/qxl-loadvm.c tests/host/core.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. \
		$(shell pkg-config --cflags spice-server) -o $@ $^ -lspice-server -pthread

$(BUILD)/bench/loadclient: $(BUILD)/bench/loadclient.o $(BUILD)/libsaffron.a
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BUILD)/bench/codecs: $(BUILD)/bench/codecs.o $(BUILD)/libsaffron.a
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: $(BUILD)/bench/harness $(BUILD)/bench/loadclient $(SHIM)
	sh bench/run.sh

bench-codecs: $(BUILD)/bench/harness $(BUILD)/bench/loadclient $(BUILD)/bench/codecs $(SHIM)
	sh bench/codecs.sh

$(BUILD)/tests/glib-chardev: tests/e2e/glib-chardev.c tests/e2e/chardev-test.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Werror -I. $(filter -fsanitize=%,$(CFLAGS)) \
		$(shell pkg-config --cflags $(GLIB_CLIENT)) -o $@ $< \
		$(shell pkg-config --libs $(GLIB_CLIENT)) $(LDFLAGS)

$(BUILD)/tests/qmp: tests/e2e/qmp.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Werror -o $@ $<

# Runs inside the Linux test guest: static, no sanitizer runtime.
$(BUILD)/tests/vgatick: tests/e2e/vgatick.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Werror -static -o $@ $<

$(BUILD)/tests/glib-frame: tests/e2e/glib-frame.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Werror $(filter -fsanitize=%,$(CFLAGS)) \
		$(shell pkg-config --cflags $(GLIB_CLIENT)) -o $@ $< \
		$(shell pkg-config --libs $(GLIB_CLIENT)) $(LDFLAGS) -lm

$(BUILD)/tests/glib-migrate: tests/e2e/glib-migrate.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Werror -I. $(filter -fsanitize=%,$(CFLAGS)) \
		$(shell pkg-config --cflags $(GLIB_CLIENT)) -o $@ $< \
		$(shell pkg-config --libs $(GLIB_CLIENT)) $(LDFLAGS)

# A spice.h host: runs on the shim or the reference (LD_LIBRARY_PATH).
$(BUILD)/tests/chardev-host: tests/e2e/chardev-host.c tests/host/core.c tests/e2e/chardev-test.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. $(filter -fsanitize=%,$(CFLAGS)) \
		$(shell pkg-config --cflags spice-server) -o $@ $(filter %.c,$^) -lspice-server \
		$(LDFLAGS)

$(BUILD)/tests/glib-audio: tests/e2e/glib-audio.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Werror $(filter -fsanitize=%,$(CFLAGS)) \
		$(shell pkg-config --cflags $(GLIB_CLIENT)) -o $@ $< \
		$(shell pkg-config --libs $(GLIB_CLIENT)) -lm $(LDFLAGS)

deps:
	@sh scripts/deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh tests/run.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(BUILD)/saffron-demo --addr 127.0.0.1 --port 5900

asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan SAN=address,undefined all
	$(Q)BUILD=build/asan ASAN_OPTIONS=detect_leaks=1 sh tests/run.sh

tsan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build/tsan SAN=thread all
	$(Q)BUILD=build/tsan TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
		sh tests/run.sh

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_LIB_SRCS := $(LIB_SRCS) shim/memslot.c shim/qxl-parse.c
build/fuzz/%: tests/fuzz/%.c tests/fuzz/codec-fuzz.h $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	$(Q)clang -std=gnu11 -g -O1 -I. $(PKG_CFLAGS) -DSF_DEBUG -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $< $(FUZZ_LIB_SRCS) $(PKG_LIBS) -pthread -lm

fuzz: $(FUZZ_TARGETS)

fuzz-smoke: deps fuzz
	$(Q)for f in $(FUZZ_TARGETS); do \
		echo "fuzz: $$f (20 s)"; \
		mkdir -p build/fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=20 -max_len=8192 build/fuzz/corpus-$$(basename $$f) \
			tests/fuzz/corpus/$$(basename $$f) >build/fuzz/$$(basename $$f).log 2>&1 \
			|| { tail -30 build/fuzz/$$(basename $$f).log; exit 1; }; \
	done; echo "fuzz-smoke: no findings"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

.PHONY: all deps test run asan tsan fuzz fuzz-smoke format format-check clean bench bench-codecs soak
-include $(LIB_OBJS:.o=.d) $(DEMO_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(SHIM_OBJS:.o=.d)
