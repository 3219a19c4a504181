# xenolith: build, dependencies, run and test, all from here.
#
#   make            build build/hello.elf (and every test app)
#   make deps       install the Debian packages the build and tests need
#   make run        boot the default app (local Xen in a dom0, else the nested Xen harness)
#   make test       unit tests, QEMU boot tests, nested Xen suite
#   make size       stripped size of hello.elf and of a puts-only hello, and their parts

CROSS_COMPILE ?=
CC      := $(CROSS_COMPILE)gcc
LD      := $(CROSS_COMPILE)ld
NM      := $(CROSS_COMPILE)nm
OBJCOPY := $(CROSS_COMPILE)objcopy
STRIP   := $(CROSS_COMPILE)strip
HOSTCC  ?= gcc

B       ?= build
CACHE   ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/xenolith
NEWLIB  := $(B)/newlib
LWIP    := $(B)/lwip
APP     ?= examples/hello

# Kernel and apps: freestanding, no PIC, no red zone (interrupts share the stack),
# frame pointers kept for backtraces.
ARCHFLAGS := -m64 -mno-red-zone -mcmodel=small -fno-pic -fno-pie -ffreestanding \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables \
	-ffunction-sections -fdata-sections -falign-functions=1 -falign-jumps=1 -falign-loops=1 -falign-labels=1 -D__DYNAMIC_REENT__ -D__XEN_INTERFACE_VERSION__=0x00040e00
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  := -std=gnu11 -O2 -g $(ARCHFLAGS) $(WARN) -nostdinc \
	-isystem $(NEWLIB)/include -isystem $(B)/include -isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude -I.
# Kernel code never touches SSE/x87, so interrupts need not save it for kernel paths.
KCFLAGS := $(CFLAGS) -mgeneral-regs-only
ASFLAGS := -m64 -D__ASSEMBLY__ -Iinclude -I. -isystem $(B)/include
LDFLAGS := -nostdlib -static -no-pie -n -z max-page-size=4096 -z noexecstack --gc-sections \
	--build-id=none -T linker.ld
LIBGCC  := $(shell $(CC) -print-libgcc-file-name)

KSRC := $(wildcard boot/*.S boot/*.c arch/x86/*.S arch/x86/*.c core/*.c drivers/xen/*.c \
	drivers/block/*.c drivers/net/netfront*.c drivers/net/netif_*.c)
KOBJ := $(patsubst %,$(B)/k/%.o,$(KSRC))
# printf's floating point (core/format_float.c) takes doubles, so it needs SSE: the one
# library file built with the apps' flags. No kernel path reaches it; an app links it
# when it uses newlib's printf family (core/stdio_printf.c).
$(B)/k/core/format_float.c.o: KCFLAGS := $(CFLAGS)
# Built for size: what runs once at boot, the control plane (xenstore, xenbus), and
# formatting and crash reports. The event, timer, scheduler, memory and device data
# paths keep -O2 (measurements in the commit that made this list).
COLD_SRC := boot/start_info.c boot/pv_legacy.c core/init.c core/memmap.c core/cmdline.c \
	core/options.c core/panic.c core/ksyms.c core/format.c core/format_float.c \
	core/stdio_printf.c core/printk.c core/shutdown.c arch/x86/acpi_tables.c \
	arch/x86/smp_boot.c arch/x86/cpu.c arch/x86/hypercall.c arch/x86/paging.c \
	drivers/xen/xenstore.c drivers/xen/xs_wire.c drivers/xen/xs_ring.c drivers/xen/xenbus.c \
	drivers/xen/control.c drivers/xen/physmap.c drivers/xen/shared_info.c drivers/xen/suspend.c \
	boot/start_info_read.c core/callbacks.c drivers/xen/balloon.c drivers/xen/vcpu_hotplug.c \
	drivers/xen/xenbus_parse.c core/mm.c core/syscalls.c
$(patsubst %,$(B)/k/%.o,$(COLD_SRC)): KCFLAGS += -Os

all: $(B)/hello.elf test-apps $(B)/tools/hostile $(B)/tools/unpause $(B)/sdklib/libxenolith.a

# dom0 programs for the nested suite (tools/xen/hostile), linked with Debian's libxen-dev.
DOM0CC ?= $(CROSS_COMPILE)gcc
$(B)/tools/hostile: tools/xen/hostile/hostile.c
	@mkdir -p $(dir $@)
	@echo "  DOM0CC  $@"
	@$(DOM0CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -o $@ $< -lxenstore -lxenevtchn \
		-lxengnttab -lpthread
$(B)/tools/unpause: tools/xen/unpause/unpause.c
	@mkdir -p $(dir $@)
	@echo "  DOM0CC  $@"
	@$(DOM0CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -o $@ $< -lxenctrl

-include $(shell find $(B)/k $(B)/app $(B)/lwip-obj $(B)/net -name '*.d' 2>/dev/null)

# The Xen public headers come from Debian's libxen-dev; we only point at them.
$(B)/include/xen:
	@test -f /usr/include/xen/xen.h || { echo "missing /usr/include/xen: run 'make deps' (libxen-dev)"; exit 1; }
	@mkdir -p $(B)/include && ln -sfn /usr/include/xen $@

$(NEWLIB)/lib/libc.a: tools/newlib.sh
	tools/newlib.sh $(NEWLIB)

# lwIP from Debian's `lwip` source package (tools/lwip.sh: fetched once, cached outside
# the tree), compiled with our flags into liblwip.a together with its glue in net/.
LWIP_SRC := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c \
	core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/igmp.c \
	core/ipv4/ip4_frag.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
	core/ipv6/ethip6.c core/ipv6/icmp6.c core/ipv6/inet6.c core/ipv6/ip6.c \
	core/ipv6/ip6_addr.c core/ipv6/ip6_frag.c core/ipv6/mld6.c core/ipv6/nd6.c \
	api/api_lib.c api/api_msg.c api/err.c api/netbuf.c api/sockets.c api/tcpip.c \
	netif/ethernet.c
LWIP_OBJ := $(patsubst %,$(B)/lwip-obj/%.o,$(LWIP_SRC))
NET_OBJ  := $(patsubst %,$(B)/net/%.o,$(wildcard net/*.c))
LWIP_INC := -Inet -I$(LWIP)/src/include
# lwIP's tcp_output is renamed where tcp_out.c defines it: net/netdev.c's tcp_output
# wraps it to join the segments one call sends into one frame for segmentation offload.
LWIP_TCP_OUT_FLAGS := -Dtcp_output=lwip_tcp_output_segments

# Rebuild everything when the flags change.
FLAGS_NOW := $(CC) $(KCFLAGS) $(CFLAGS) $(ASFLAGS) $(LDFLAGS) $(COLD_SRC) $(LWIP_TCP_OUT_FLAGS)
$(shell mkdir -p $(B); [ "$$(cat $(B)/.flags 2>/dev/null)" = "$(FLAGS_NOW)" ] || echo "$(FLAGS_NOW)" > $(B)/.flags)

PREREQ := $(B)/include/xen $(NEWLIB)/lib/libc.a

$(B)/k/%.c.o: %.c $(B)/.flags | $(PREREQ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(B)/k/%.S.o: %.S $(B)/.flags | $(PREREQ)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -MMD -MP -c $< -o $@

$(B)/app/%.c.o: %.c $(B)/.flags | $(PREREQ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LWIP)/.xenolith-complete: tools/lwip.sh
	tools/lwip.sh $(LWIP)
$(LWIP)/src/%.c: $(LWIP)/.xenolith-complete ;
.SECONDARY: $(addprefix $(LWIP)/src/,$(LWIP_SRC))

# lwIP's own code: our flags, but not -Werror (a newer compiler's warning is not ours to fix).
$(B)/lwip-obj/%.c.o: $(LWIP)/src/%.c $(LWIP)/.xenolith-complete $(B)/.flags | $(PREREQ)
	@mkdir -p $(dir $@)
	@echo "  CC      lwip/$*.c"
	@$(CC) $(filter-out -Werror,$(CFLAGS)) $(if $(filter core/tcp_out.c,$*.c),$(LWIP_TCP_OUT_FLAGS)) \
		$(LWIP_INC) -MMD -MP -c $< -o $@

$(B)/net/%.c.o: %.c $(LWIP)/.xenolith-complete $(B)/.flags | $(PREREQ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(LWIP_INC) -MMD -MP -c $< -o $@

$(B)/liblwip.a: $(LWIP_OBJ) $(NET_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@$(CROSS_COMPILE)ar rcs $@ $^

$(B)/libxenolith.a: $(KOBJ)
	@rm -f $@
	@echo "  AR      $@"
	@$(CROSS_COMPILE)ar rcs $@ $(filter-out %/head.S.o,$^)

# The installed kernel library (tools/sdk/kernel-object.sh): the kernel as one relocatable
# object, global only what the installed headers declare and newlib and head.S need; it
# fails when a public header declares what no library defines. liblwip.a is rewritten to
# match when built (.net records whether it was). In-tree apps link $(B)/libxenolith.a.
SDK_NET := $(if $(wildcard $(B)/liblwip.a),$(B)/liblwip.a)
$(shell mkdir -p $(B)/sdklib; [ "$$(cat $(B)/sdklib/.net 2>/dev/null)" = "lwip: $(SDK_NET)" ] || echo "lwip: $(SDK_NET)" > $(B)/sdklib/.net)
$(B)/sdklib/libxenolith.a: $(filter-out %/head.S.o,$(KOBJ)) $(B)/k/boot/head.S.o $(SDK_NET) \
		$(B)/sdklib/.net $(shell find include -name '*.h') tools/sdk/kernel-object.sh tools/sdk/glue.syms
	@CC="$(CC)" LD="$(LD)" NM="$(NM)" OBJCOPY="$(OBJCOPY)" AR="$(CROSS_COMPILE)ar" \
		ARCHFLAGS="$(ARCHFLAGS)" tools/sdk/kernel-object.sh $(B)/sdklib $(NEWLIB) \
		$(B)/k/boot/head.S.o "$(SDK_NET)" $(filter-out %/head.S.o,$(KOBJ))

# Link twice: the first image gives the text symbols, the second carries them for
# backtraces. The symbol table sits after .text/.rodata so text addresses do not move.
# --whole-archive is not used: --gc-sections and archive semantics keep apps lean.
LINK = $(LD) $(LDFLAGS) $(4) -o $(2) $(B)/k/boot/head.S.o $(1) --start-group $(B)/libxenolith.a \
	$(3) $(NEWLIB)/lib/libm.a $(NEWLIB)/lib/libc.a $(LIBGCC) --end-group

# An app that includes a sockets header links lwIP (argument 3 of LINK); the others never
# need it, nor its download. Archive semantics keep what an app does not call out.
uses_net = $(shell grep -lsE '^[[:space:]]*\#[[:space:]]*include[[:space:]]*<(sys/socket|netinet/in|arpa/inet|netdb|poll|xenolith/netstack)\.h>' $(1)/*.c)

$(B)/k/ksyms_empty.o: core/ksyms_empty.S
	@mkdir -p $(dir $@)
	@$(CC) $(ASFLAGS) -c $< -o $@

define app_rule
$(B)/$(1).elf: $(patsubst %,$(B)/app/%.o,$(wildcard $(2)/*.c)) $(B)/libxenolith.a $(if $(call uses_net,$(2)),$(B)/liblwip.a) $(B)/k/ksyms_empty.o linker.ld tools/ksyms.sh $(NEWLIB)/lib/libc.a
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$$(call LINK,$$(filter $(B)/app/%.o,$$^) $(B)/k/ksyms_empty.o,$$@.pass1,$$(filter %/liblwip.a,$$^))
	@tools/ksyms.sh $(NM) $$@.pass1 > $$@.ksyms.S
	@printf '\t.weak xenolith_app_name\nxenolith_app_name:\n\t.asciz "%s"\n' $(notdir $(1)) >> $$@.ksyms.S
	@$(CC) $(ASFLAGS) -c $$@.ksyms.S -o $$@.ksyms.o
	@$$(call LINK,$$(filter $(B)/app/%.o,$$^) $$@.ksyms.o,$$@,$$(filter %/liblwip.a,$$^),-Map=$$@.map)
	@rm -f $$@.pass1 $$@.ksyms.S
endef

TEST_APPS := $(patsubst tests/apps/%/,%,$(sort $(dir $(wildcard tests/apps/*/*.c))))
EXAMPLES  := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.c))))
$(foreach a,$(EXAMPLES),$(eval $(call app_rule,$(a),examples/$(a))))
$(foreach a,$(TEST_APPS),$(eval $(call app_rule,tests/$(a),tests/apps/$(a))))

# An application outside the tree: make -C xenolith APP=/path/to/app [B=/path/to/app/build]
# builds $(B)/<dirname>.elf from /path/to/app/*.c (with -I/path/to/app, plus APP_CFLAGS).
APP_DIR  := $(abspath $(APP))
APP_NAME := $(notdir $(APP_DIR))
ifeq ($(filter $(abspath examples)/%,$(APP_DIR)),)
ifneq ($(wildcard $(APP_DIR)/*.c),)
$(eval $(call app_rule,$(APP_NAME),$(APP_DIR)))
$(B)/app$(APP_DIR)/%.c.o: CFLAGS += -I$(APP_DIR) $(APP_CFLAGS)
all: $(B)/$(APP_NAME).elf
app: $(B)/$(APP_NAME).elf
	@echo "built $(abspath $(B)/$(APP_NAME).elf)"
endif
endif

test-apps: $(patsubst %,$(B)/tests/%.elf,$(TEST_APPS)) $(patsubst %,$(B)/%.elf,$(EXAMPLES)) \
	$(B)/tests/files.cpio

# The files test's initrd (QEMU -initrd in tests/boot, xl ramdisk= in tests/xen/files.manifest).
$(B)/tests/files.cpio: tests/apps/files/mkarchive.sh
	@mkdir -p $(dir $@)
	@echo "  CPIO    $@"
	@tests/apps/files/mkarchive.sh $@ $(B)/tests/files-root

# Stripped sizes and where the bytes are (tools/size.sh): hello, and puts-only hello.
size: $(B)/hello.elf $(B)/tests/puts.elf
	@tools/size.sh $(STRIP) $^

deps:
	tools/deps.sh

# The SDK (tools/sdk/install.sh): headers, libxenolith.a, liblwip.a when built, newlib,
# the linker script, xenolith.pc / xenolith-net.pc, a CMake toolchain file and xenolith-cc.
# Uninstall removes what the install's file list names (PREFIX/share/xenolith/installed-files).
PREFIX  ?= /usr/local
VERSION ?= 0.1
install: $(B)/sdklib/libxenolith.a $(B)/k/boot/head.S.o $(B)/k/ksyms_empty.o $(NEWLIB)/lib/libc.a
	@CC="$(CC)" LD="$(LD)" NM="$(NM)" ARCHFLAGS="$(ARCHFLAGS)" VERSION="$(VERSION)" \
		tools/sdk/install.sh install "$(PREFIX)" "$(B)"

uninstall:
	@tools/sdk/install.sh uninstall "$(PREFIX)"

sdk-test: all
	tests/sdk/run.sh


# ---- tests ----
UNIT_TESTS := $(patsubst tests/unit/test_%.c,$(B)/unit/test_%,$(wildcard tests/unit/test_*.c))
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. -Iinclude \
	-isystem $(B)/include -DXENOLITH_HOST_TEST -fsanitize=address,undefined

# Each test names the sources it needs on a line "// UNIT-SOURCES: a.c b.c".
unit_sources = $(shell sed -n 's|^// *UNIT-SOURCES: *||p' $(1))
.SECONDEXPANSION:
$(B)/unit/test_%: tests/unit/test_%.c $$(call unit_sources,tests/unit/test_%.c) $(B)/include/xen
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(UNIT_CFLAGS) -o $@ $< $(call unit_sources,$<) -lcmocka -pthread

unit: $(UNIT_TESTS)
	tests/unit/run.sh $(UNIT_TESTS)

boot-test: all
	tests/boot/run.sh

xlcfg-test:
	tests/tools/test_xlcfg.sh

# The harness reports broken guests as FAIL and carries on (tests/xen/manifest.broken).
xen-selftest: all
	tests/xen/selftest.sh

# One Xen boot for every guest: the main manifest, then each tests/xen/*.manifest.
xen-test: all
	@cat tests/xen/manifest $(sort $(wildcard tests/xen/*.manifest)) > $(B)/xen-all.manifest
	tools/xen/suite.sh $(B)/xen-all.manifest

# Soaks: many copies of some guests in one Xen boot (tools/xen/repeat.sh). Not CI.
#   make soak                       the 128-VCPU tests, 20 times each
#   make soak SOAK_COUNT=5 SOAK_GUESTS="schedstress4" SOAK_MANIFEST=tests/xen/smp.manifest
SOAK_COUNT    ?= 20
SOAK_MANIFEST ?= tests/xen/smp.manifest
SOAK_GUESTS   ?= smp128 schedstress128
soak: all
	@mkdir -p $(B)/soak
	tools/xen/repeat.sh $(SOAK_COUNT) $(SOAK_MANIFEST) $(SOAK_GUESTS) > $(B)/soak/soak.manifest
	XT_SUITE_LIMIT=$${XT_SUITE_LIMIT:-86400} tools/xen/suite.sh $(B)/soak/soak.manifest

# Save/restore soak: one 4-VCPU guest with a disk through SOAK_CYCLES save+restore
# cycles and a checkpoint in one Xen boot (tools/xen/suspend-soak.sh). Not CI.
SOAK_CYCLES ?= 100
soak-suspend: all
	@mkdir -p $(B)/soak
	tools/xen/suspend-soak.sh $(SOAK_CYCLES) > $(B)/soak/suspend-soak.manifest
	XT_SUITE_LIMIT=$${XT_SUITE_LIMIT:-86400} tools/xen/suite.sh $(B)/soak/suspend-soak.manifest

# Device hotplug soak: the NIC and disk attach/detach guests through SOAK_CYCLES cycles
# each (10 in make test) in one Xen boot (tools/xen/hotplug-soak.sh). Not CI.
soak-hotplug: all
	@mkdir -p $(B)/soak
	tools/xen/hotplug-soak.sh $(SOAK_CYCLES) > $(B)/soak/hotplug-soak.manifest
	XT_SUITE_LIMIT=$${XT_SUITE_LIMIT:-86400} tools/xen/suite.sh $(B)/soak/hotplug-soak.manifest

# VCPU hotplug soak: one guest (4 of 8 VCPUs, a workload all along) through
# SOAK_VCPU_CYCLES cycles of xl vcpu-set 1 and back to 4 (tools/xen/vcpu-soak.sh). Not CI.
SOAK_VCPU_CYCLES ?= 20
soak-vcpu: all
	@mkdir -p $(B)/soak
	tools/xen/vcpu-soak.sh $(SOAK_VCPU_CYCLES) > $(B)/soak/vcpu-soak.manifest
	XT_SUITE_LIMIT=$${XT_SUITE_LIMIT:-86400} tools/xen/suite.sh $(B)/soak/vcpu-soak.manifest

# The README's test command: everything, with the one closing summary line.
test: deps
	$(MAKE) all
	tests/run-all.sh

run: deps
	$(MAKE) $(B)/$(APP_NAME).elf
	tools/run.sh $(B)/$(APP_NAME).elf $(RUN_ARGS)

xen-shell: deps
	tools/xen/shell.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)/k $(B)/app $(B)/unit $(B)/*.elf $(B)/tests $(B)/libxenolith.a \
		$(B)/lwip-obj $(B)/net $(B)/liblwip.a $(B)/sdklib

.PHONY: install uninstall sdk-test all test-apps size deps unit boot-test xlcfg-test xen-test xen-selftest test run xen-shell format clean app soak soak-suspend soak-hotplug soak-vcpu
include tests/fuzz/fuzz.mk
