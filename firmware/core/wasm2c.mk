# Included by the ports' Makefiles: translate the MCU module with wasm2c and build the
# portable core. The includer sets ROOT, CORE, B, CC, CFLAGS (our code) and GENFLAGS
# (generated and runtime code), then links $(CORE_OBJS) with its own objects.
#
# The module goes through four steps before the C compiler (see README "Footprint"):
#  1. wasm-metadce + wasm-opt -Oz (binaryen from node_modules): only the exports the core
#     calls (W2C_KEEP) stay, with whatever they reach; W2C_MIN=0 translates the module as is.
#  2. wasm2c (Debian's wabt 1.0.32).
#  3. w2c-rewrite.sh: every linear-memory access calls the compact exact accessors of
#     wt_w2c_mem.h (bounds checked; W2C_UNCHECKED=1 is an explicit memory-UNSAFE option).
#  4. callgraph.mjs: if the module cannot recurse, wasm2c's call-depth counter is
#     compiled out (stack_depth.h); a recursive module keeps it.
# The module: IPV6=1 (set by firmware/Makefile and the linux, qemu-xtensa and rv32 Makefiles by
# default) the dual-stack build/stack.mcu6.wasm, else the IPv4-only build/stack.mcu.wasm.
WASM ?= $(ROOT)/build/stack.mcu$(if $(filter 1,$(IPV6)),6).wasm
RT   := /usr/share/wabt/wasm2c
BINARYEN ?= $(ROOT)/node_modules/.bin
W2C_MIN ?= 1
W2C_UNCHECKED ?= 0
# The exports the core calls: WT_ABI_FUNCTIONS of the generated wt_abi.h (abi/abi.mjs).
W2C_KEEP := $(shell sh $(CORE)/aot-exports.sh --names $(CORE)/wt_abi.h) memory
W2C_FEATURES := --mvp-features --enable-sign-ext --enable-bulk-memory --enable-bulk-memory-opt
CORE_OBJS := $(B)/wt_core.o $(B)/wt_app.o $(B)/wt_services.o $(B)/wt_dhcp.o $(B)/wt_ip6.o $(B)/engine_aot.o \
             $(B)/stack.o $(B)/wasm-rt-impl.o

$(B):
	mkdir -p $(B)

# A copy of wasm-rt.h: cross compilers must not search /usr/include.
$(B)/wasm-rt.h: /usr/include/wasm-rt.h | $(B)
	cp $< $@
# The options are part of the recipe: a changed W2C_MIN, W2C_UNCHECKED or module rebuilds.
W2C_OPTS := W2C_MIN=$(W2C_MIN) W2C_UNCHECKED=$(W2C_UNCHECKED) WASM=$(notdir $(WASM))
$(B)/w2c.opts: FORCE | $(B)
	@echo "$(W2C_OPTS)" | cmp -s - $@ || echo "$(W2C_OPTS)" > $@
$(B)/stack.aot.wasm: $(WASM) $(B)/w2c.opts $(CORE)/wasm2c.mk $(CORE)/wt_abi.h | $(B)
ifeq ($(W2C_MIN),1)
	printf '[%s]\n' "$$(for e in $(W2C_KEEP); do printf '{"name":"%s","root":true,"export":"%s"},' $$e $$e; done | sed 's/,$$//')" > $(B)/keep.json
	$(BINARYEN)/wasm-metadce $(W2C_FEATURES) $(WASM) --graph-file $(B)/keep.json -o $@.tmp > /dev/null
	$(BINARYEN)/wasm-opt $(W2C_FEATURES) -Oz $@.tmp -o $@
	rm -f $@.tmp
else
	cp $(WASM) $@
endif
$(B)/stack.raw.c $(B)/stack.h: $(B)/stack.aot.wasm $(B)/wasm-rt.h | $(B)
	wasm2c $(B)/stack.aot.wasm -n stack -o $(B)/stack.raw.c
	mv $(B)/stack.raw.h $(B)/stack.h
	sed -i 's/"stack\.raw\.h"/"stack.h"/' $(B)/stack.raw.c
$(B)/stack.c: $(B)/stack.raw.c $(CORE)/w2c-rewrite.sh
	sh $(CORE)/w2c-rewrite.sh $< > $@.tmp && mv $@.tmp $@
$(B)/stack_depth.h: $(B)/stack.aot.wasm $(CORE)/callgraph.mjs
	node $(CORE)/callgraph.mjs $< > $@.tmp && mv $@.tmp $@
$(B)/aot_exports.h: $(B)/stack.h $(CORE)/aot-exports.sh $(CORE)/wt_abi.h
	sh $(CORE)/aot-exports.sh $(CORE)/wt_abi.h $(B)/stack.h > $@

$(B)/stack.o: $(B)/stack.c $(B)/stack_depth.h $(CORE)/wt_w2c_mem.h $(B)/w2c.opts
	$(CC) -std=c99 $(GENFLAGS) -I$(CORE) -include $(B)/stack_depth.h -DWT_W2C_UNCHECKED=$(W2C_UNCHECKED) -c $< -o $@
# Traps call wt_trap_handler (no setjmp per call); see core/wt_trap.h. The runtime sees the same
# stack_depth.h as stack.o: a recursive module's counter (wasm_rt_call_stack_depth) lives here.
$(B)/wasm-rt-impl.o: $(RT)/wasm-rt-impl.c $(CORE)/wt_trap.h $(B)/wasm-rt.h $(B)/stack_depth.h
	$(CC) -std=gnu99 $(GENFLAGS) -include $(B)/stack_depth.h -include $(CORE)/wt_trap.h -c $< -o $@
$(B)/engine_aot.o: $(CORE)/engine_aot.c $(B)/aot_exports.h $(B)/stack.h $(wildcard $(CORE)/*.h)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/%.o: $(CORE)/%.c $(wildcard $(CORE)/*.h) | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

FORCE:
.PHONY: FORCE
