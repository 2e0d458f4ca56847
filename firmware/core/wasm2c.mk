# Included by the ports' Makefiles: translate the MCU module with wasm2c and build the
# portable core. The includer sets ROOT, CORE, B, CC, CFLAGS (our code) and GENFLAGS
# (generated and runtime code), then links $(CORE_OBJS) with its own objects.
WASM ?= $(ROOT)/build/stack.mcu.wasm
RT   := /usr/share/wabt/wasm2c
CORE_OBJS := $(B)/wt_core.o $(B)/wt_app.o $(B)/wt_services.o $(B)/engine_aot.o \
             $(B)/stack.o $(B)/wasm-rt-impl.o

$(B):
	mkdir -p $(B)

# A copy of wasm-rt.h: cross compilers must not search /usr/include.
$(B)/wasm-rt.h: /usr/include/wasm-rt.h | $(B)
	cp $< $@
$(B)/stack.c $(B)/stack.h: $(WASM) $(B)/wasm-rt.h | $(B)
	wasm2c $(WASM) -n stack -o $(B)/stack.c
$(B)/aot_exports.h: $(B)/stack.h $(CORE)/aot-exports.sh
	sh $(CORE)/aot-exports.sh $(B)/stack.h > $@

$(B)/stack.o: $(B)/stack.c
	$(CC) -std=c99 $(GENFLAGS) -c $< -o $@
# Traps call wt_trap_handler (no setjmp per call); see core/wt_trap.h.
$(B)/wasm-rt-impl.o: $(RT)/wasm-rt-impl.c $(CORE)/wt_trap.h $(B)/wasm-rt.h
	$(CC) -std=gnu99 $(GENFLAGS) -include $(CORE)/wt_trap.h -c $< -o $@
$(B)/engine_aot.o: $(CORE)/engine_aot.c $(B)/aot_exports.h $(B)/stack.h $(wildcard $(CORE)/*.h)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/%.o: $(CORE)/%.c $(wildcard $(CORE)/*.h) | $(B)
	$(CC) $(CFLAGS) -c $< -o $@
