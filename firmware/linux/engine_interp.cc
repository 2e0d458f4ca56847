// The interpreter engine: Debian's libwabt loads the .wasm at run time and interprets
// it, proving the module runs outside V8 with only its declared imports (env.tx,
// env.entropy, env.event, env.abort): any other import fails instantiation.
extern "C" {
#include "wt_engine.h"
#include "wt_port.h"
}

#include <cstring>
#include <string>

#include "wabt/binary-reader.h"
#include "wabt/cast.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/interp/interp.h"

using namespace wabt;
using namespace wabt::interp;

namespace {

struct State {
  Store store;
  Instance::Ptr instance;
  Memory::Ptr memory;
  Thread *thread = nullptr;
  Func::Ptr funcs[WT_FN_COUNT];
  Values params[WT_FN_COUNT];
  Values results;
};

State *st;

u32 arg(const Values &p, size_t i) { return p[i].Get<u32>(); }

// The host side of one import, or an empty callback when the module asks for
// something we do not provide.
HostFunc::Callback import_for(const std::string &module, const std::string &name, const FuncType &type) {
  auto sig = [&](size_t params) { return type.params.size() == params && type.results.empty(); };
  if (module != "env") return nullptr;
  if (name == "tx" && sig(2))
    return [](Thread &, const Values &p, Values &, Trap::Ptr *) { wt_import_tx(arg(p, 0), arg(p, 1)); return Result::Ok; };
  if (name == "entropy" && sig(2))
    return [](Thread &, const Values &p, Values &, Trap::Ptr *) { wt_import_entropy(arg(p, 0), arg(p, 1)); return Result::Ok; };
  if (name == "event" && sig(3))
    return [](Thread &, const Values &p, Values &, Trap::Ptr *) {
      wt_import_event((int32_t)arg(p, 0), (int32_t)arg(p, 1), (int32_t)arg(p, 2));
      return Result::Ok;
    };
  if (name == "abort" && sig(4))
    return [](Thread &, const Values &p, Values &, Trap::Ptr *) {
      wt_import_abort(arg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3));
      return Result::Ok;
    };
  return nullptr;
}

void log_line(const std::string &s) { wt_port_puts(s.c_str()); wt_port_puts("\n"); }

int interp_start(const uint8_t *wasm, uint32_t len) {
  delete st;
  st = new State();
  Features features;  // MVP + the defaults; the MCU build uses no SIMD or threads
  ReadBinaryOptions options(features, nullptr, false, true, true);
  Errors errors;
  ModuleDesc desc;
  if (Failed(ReadBinaryInterp("stack.mcu.wasm", wasm, len, options, &errors, &desc))) {
    for (auto &e : errors) log_line("interp: " + e.message);
    return -1;
  }
  Module::Ptr module = Module::New(st->store, desc);
  RefVec imports;
  for (auto &imp : module->import_types()) {
    const FuncType *ft = dyn_cast<FuncType>(imp.type.get());
    HostFunc::Callback cb = ft ? import_for(imp.module, imp.name, *ft) : nullptr;
    if (!cb) {
      log_line("interp: undeclared import " + imp.module + "." + imp.name);
      return -1;
    }
    imports.push_back(HostFunc::New(st->store, *ft, cb).ref());
  }
  Trap::Ptr trap;
  st->instance = Instance::Instantiate(st->store, module.ref(), imports, &trap);
  if (!st->instance) {
    log_line("interp: instantiation failed" + (trap ? ": " + trap->message() : std::string()));
    return -1;
  }
  const auto &exports = module->export_types();
  for (size_t i = 0; i < exports.size(); i++) {
    Ref ref = st->instance->exports()[i];
    if (exports[i].type->kind == ExternKind::Memory && !st->memory) {
      st->memory = st->store.UnsafeGet<Memory>(ref);
      continue;
    }
    if (exports[i].type->kind != ExternKind::Func) continue;
    for (int f = 0; f < WT_FN_COUNT; f++) {
      if (exports[i].name != wt_fn_name[f]) continue;
      Func::Ptr fn = st->store.UnsafeGet<Func>(ref);
      // Only take exports whose signature matches what the core will pass.
      if (fn->type().params.size() == wt_fn_arity[f] && fn->type().results.size() <= 1) {
        st->funcs[f] = fn;
        st->params[f].resize(wt_fn_arity[f]);
      }
    }
  }
  if (!st->memory) { log_line("interp: module exports no memory"); return -1; }
  st->thread = new Thread(st->store);
  return 0;
}

int interp_has(wt_fn fn) { return st && fn < WT_FN_COUNT && st->funcs[fn]; }

int32_t interp_callv(wt_fn fn, const int32_t *args) {
  Values &p = st->params[fn];
  for (size_t i = 0; i < p.size(); i++) p[i] = Value::Make((u32)args[i]);
  st->results.clear();
  Trap::Ptr trap;
  if (Failed(st->funcs[fn]->Call(*st->thread, p, st->results, &trap))) {
    log_line(std::string("wasm trap in ") + wt_fn_name[fn] + (trap ? ": " + trap->message() : std::string()));
    wt_port_fatal("wasm trap");
  }
  return st->results.empty() ? 0 : (int32_t)st->results[0].Get<u32>();
}

int32_t interp_call(wt_fn fn, int32_t a, int32_t b, int32_t c) {
  const int32_t args[WT_MAX_ARITY] = { a, b, c, 0, 0 };
  return interp_callv(fn, args);
}

uint8_t *interp_memory(uint32_t *size) {
  if (!st || !st->memory) { *size = 0; return nullptr; }
  *size = (uint32_t)st->memory->ByteSize();
  return st->memory->UnsafeData();
}

}  // namespace

extern "C" const wt_engine wt_engine_interp = { "interp", interp_start, interp_has, interp_call, interp_memory, interp_callv };
