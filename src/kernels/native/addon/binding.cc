// Node-API entry points: weights and engine blocks in JavaScript-owned ArrayBuffers, and one
// function per kernel step. Every argument is checked before a kernel runs: a wrong buffer or an
// out-of-range index becomes a JavaScript exception, never a read or write out of bounds.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "dispatch.h"
#include "frame.h"
#include "kernels.h"
#include "layout.h"
#include "steps.h"

namespace rrm {
namespace {

/** Returns from the calling N-API function with `nullptr` when a call failed (an exception is pending). */
#define RRM_CHECK(call)                   \
  do {                                    \
    if ((call) != napi_ok) return nullptr; \
  } while (0)

napi_value fail(napi_env env, const std::string& message) {
  napi_throw_type_error(env, nullptr, ("rx-rrm native: " + message).c_str());
  return nullptr;
}

struct Args {
  napi_value values[8];
  size_t count = 8;
};

bool readArgs(napi_env env, napi_callback_info info, Args& args, size_t required) {
  if (napi_get_cb_info(env, info, &args.count, args.values, nullptr, nullptr) != napi_ok) return false;
  if (args.count < required) {
    fail(env, "expected " + std::to_string(required) + " arguments, got " + std::to_string(args.count));
    return false;
  }
  return true;
}

bool readInt(napi_env env, napi_value value, int32_t& out) {
  if (napi_get_value_int32(env, value, &out) == napi_ok) return true;
  fail(env, "expected an integer argument");
  return false;
}

bool readDouble(napi_env env, napi_value value, double& out) {
  if (napi_get_value_double(env, value, &out) == napi_ok) return true;
  fail(env, "expected a number argument");
  return false;
}

/** A typed array of the given type (or null/undefined when `optional`): its data and length. */
template <typename T>
bool readTyped(napi_env env, napi_value value, napi_typedarray_type expected, T*& data, size_t& length, bool optional = false) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (optional && (type == napi_null || type == napi_undefined)) {
    data = nullptr;
    length = 0;
    return true;
  }
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  napi_typedarray_type actual;
  void* raw = nullptr;
  if (!isTyped || napi_get_typedarray_info(env, value, &actual, &length, &raw, nullptr, nullptr) != napi_ok || actual != expected) {
    fail(env, expected == napi_float32_array ? "expected a Float32Array" : expected == napi_int32_array ? "expected an Int32Array" : "expected a Uint8Array");
    return false;
  }
  data = static_cast<T*>(raw);
  return true;
}

/** The 64-byte-aligned block inside an ArrayBuffer made by `allocateBlock`, if it carries `magic`. */
template <typename T>
T* blockOf(napi_env env, napi_value value, uint32_t magic) {
  bool isBuffer = false;
  void* data = nullptr;
  size_t length = 0;
  if (napi_is_arraybuffer(env, value, &isBuffer) != napi_ok || !isBuffer || napi_get_arraybuffer_info(env, value, &data, &length) != napi_ok) {
    fail(env, "expected a native kernel block (ArrayBuffer)");
    return nullptr;
  }
  const size_t skip = alignmentSkip(data);
  if (length < skip + sizeof(T) || *reinterpret_cast<uint32_t*>(static_cast<char*>(data) + skip) != magic) {
    fail(env, "the ArrayBuffer is not a native kernel block of the expected kind");
    return nullptr;
  }
  return reinterpret_cast<T*>(static_cast<char*>(data) + skip);
}

/** A zeroed ArrayBuffer of `bytes` usable bytes from a 64-byte boundary; `block` points there. */
napi_value allocateBlock(napi_env env, size_t bytes, char*& block) {
  napi_value buffer;
  void* data = nullptr;
  // Node's ArrayBuffers start zeroed: Ĩ's border and the touched marks rely on it.
  if (napi_create_arraybuffer(env, bytes + kBlockAlignment, &data, &buffer) != napi_ok) return nullptr;
  block = static_cast<char*>(data) + alignmentSkip(data);
  return buffer;
}

bool readGeometry(napi_env env, napi_value value, Geometry& g) {
  int32_t* fields = nullptr;
  size_t length = 0;
  if (!readTyped(env, value, napi_int32_array, fields, length)) return false;
  if (length != static_cast<size_t>(kGeometryFields)) {
    fail(env, "geometry must have " + std::to_string(kGeometryFields) + " fields");
    return false;
  }
  std::memcpy(&g, fields, sizeof g);
  const std::string problem = geometryProblem(g);
  if (!problem.empty()) {
    fail(env, "invalid conv geometry: " + problem);
    return false;
  }
  return true;
}

const KernelTable* readInstructionSet(napi_env env, napi_value value) {
  char name[32];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, name, sizeof name, &length) != napi_ok) {
    fail(env, "expected an instruction set name");
    return nullptr;
  }
  const KernelTable* table = kernelTableNamed(name);
  if (!table) fail(env, std::string("instruction set '") + name + "' is not supported by this CPU or build");
  return table;
}

napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

// instructionSets(): the instruction sets this CPU and build support, fastest first.
napi_value InstructionSets(napi_env env, napi_callback_info) {
  napi_value list;
  RRM_CHECK(napi_create_array(env, &list));
  uint32_t k = 0;
  for (const KernelTable* table : supportedKernelTables()) {
    napi_value name;
    RRM_CHECK(napi_create_string_utf8(env, table->name, NAPI_AUTO_LENGTH, &name));
    RRM_CHECK(napi_set_element(env, list, k++, name));
  }
  return list;
}

// prepareWeights(isa, geometry, packed, bias | null): the shared weights block.
napi_value PrepareWeights(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 4)) return nullptr;
  const KernelTable* table = readInstructionSet(env, args.values[0]);
  Geometry g;
  float* packed = nullptr;
  float* bias = nullptr;
  size_t packedLength = 0, biasLength = 0;
  if (!table || !readGeometry(env, args.values[1], g) || !readTyped(env, args.values[2], napi_float32_array, packed, packedLength) ||
      !readTyped(env, args.values[3], napi_float32_array, bias, biasLength, true)) {
    return nullptr;
  }
  const WeightsLayout layout = weightsLayout(*table, g);
  if (packedLength != static_cast<size_t>(layout.packedFloats)) {
    return fail(env, "packed weights hold " + std::to_string(packedLength) + " values, the geometry needs " + std::to_string(layout.packedFloats));
  }
  if (bias && biasLength < static_cast<size_t>(g.outChannels)) return fail(env, "bias is shorter than the output channels");
  char* block = nullptr;
  napi_value buffer = allocateBlock(env, layout.bytes, block);
  if (!buffer) return nullptr;
  buildWeights(*table, g, layout, block, packed, bias);
  return buffer;
}

// createEngine(weights, geometry, activation, leakyAlpha): [engine block, byte offsets of projection,
// output, touched list, active pixels, status].
napi_value CreateEngine(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 4)) return nullptr;
  const Weights* weights = blockOf<Weights>(env, args.values[0], kWeightsMagic);
  Geometry g;
  int32_t activation = 0;
  double alpha = 0;
  if (!weights || !readGeometry(env, args.values[1], g) || !readInt(env, args.values[2], activation) || !readDouble(env, args.values[3], alpha)) {
    return nullptr;
  }
  if (!sameWeightShape(weights->g, g)) return fail(env, "the weights were prepared for another layer shape");
  if (activation < 0 || activation > static_cast<int32_t>(ActivationKind::HardSwish)) return fail(env, "unknown activation code");
  const EngineLayout layout = engineLayout(*weights, g);
  char* block = nullptr;
  napi_value buffer = allocateBlock(env, layout.bytes, block);
  if (!buffer) return nullptr;
  buildEngine(*weights, g, layout, block, static_cast<ActivationKind>(activation), static_cast<float>(alpha));
  const char* base = block;
  void* data = nullptr;
  size_t length = 0;
  RRM_CHECK(napi_get_arraybuffer_info(env, buffer, &data, &length));
  const double skip = static_cast<double>(base - static_cast<char*>(data));
  napi_value result;
  RRM_CHECK(napi_create_array_with_length(env, 6, &result));
  const double offsets[6] = {0, skip + layout.projection, skip + layout.output, skip + layout.touchedList, skip + layout.activePixels, skip + layout.status};
  RRM_CHECK(napi_set_element(env, result, 0, buffer));
  for (uint32_t k = 1; k < 6; k++) RRM_CHECK(napi_set_element(env, result, k, number(env, offsets[k])));
  return result;
}

/** The engine block of args[0] and, when `inputArg` >= 0, the input map at that argument (checked against the geometry). */
Engine* engineAndInput(napi_env env, Args& args, int inputArg, const float*& input) {
  Engine* e = blockOf<Engine>(env, args.values[0], kEngineMagic);
  if (!e || inputArg < 0) return e;
  float* data = nullptr;
  size_t length = 0;
  if (!readTyped(env, args.values[inputArg], napi_float32_array, data, length)) return nullptr;
  const size_t expected = static_cast<size_t>(e->g.inHeight) * e->g.inWidth * e->g.inChannels;
  if (length != expected) {
    fail(env, "input holds " + std::to_string(length) + " values, the layer expects " + std::to_string(expected));
    return nullptr;
  }
  input = data;
  return e;
}

// recompute(engine, input): Ĩ = input, P = W·Ĩ + b and output = f(P) everywhere (on the engine's
// threads); the index of the input's first NaN/±Infinity, or -1.
napi_value Recompute(napi_env env, napi_callback_info info) {
  Args args;
  const float* input = nullptr;
  if (!readArgs(env, info, args, 2)) return nullptr;
  Engine* e = engineAndInput(env, args, 1, input);
  if (!e) return nullptr;
  return number(env, recomputeWhole(*e, input));
}

// detect(engine, input, threshold, candidates | null, candidateCount, maxActive): active count.
napi_value Detect(napi_env env, napi_callback_info info) {
  Args args;
  const float* input = nullptr;
  if (!readArgs(env, info, args, 6)) return nullptr;
  Engine* e = engineAndInput(env, args, 1, input);
  double threshold = 0;
  int32_t* candidates = nullptr;
  size_t candidatesLength = 0;
  int32_t count = 0, maxActive = 0;
  if (!e || !readDouble(env, args.values[2], threshold) || !readTyped(env, args.values[3], napi_int32_array, candidates, candidatesLength, true) ||
      !readInt(env, args.values[4], count) || !readInt(env, args.values[5], maxActive)) {
    return nullptr;
  }
  const int32_t pixels = e->g.inHeight * e->g.inWidth;
  if (candidates) {
    if (count < 0 || static_cast<size_t>(count) > candidatesLength) return fail(env, "candidate count out of range");
    for (int32_t k = 0; k < count; k++) {
      if (candidates[k] < 0 || candidates[k] >= pixels) return fail(env, "candidate pixel " + std::to_string(candidates[k]) + " is outside the map");
    }
  }
  if (!(threshold >= 0)) return fail(env, "threshold must be a number >= 0");
  if (maxActive < 0) maxActive = 0;
  if (maxActive > pixels) maxActive = pixels;
  // The active list has room for every pixel: stopping at maxActive + 1 never passes it.
  const int32_t limit = maxActive < pixels ? maxActive : pixels - 1;
  return number(env, detectActive(*e, input, static_cast<float>(threshold), candidates, candidates ? count : 0, limit));
}

// sparseUpdate(engine, activeCount, recompute): P changed at the touched pixels (by scatter, or by
// recomputing them when `recompute`), output = f(P) there; returns the multiply-adds done.
napi_value SparseUpdate(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 3)) return nullptr;
  Engine* e = blockOf<Engine>(env, args.values[0], kEngineMagic);
  int32_t active = 0;
  bool recompute = false;
  if (!e || !readInt(env, args.values[1], active)) return nullptr;
  RRM_CHECK(napi_get_value_bool(env, args.values[2], &recompute));
  if (active < 0 || active > e->g.inHeight * e->g.inWidth) return fail(env, "active count out of range");
  const double macs = sparseUpdate(*e, active, recompute);
  return number(env, macs);
}

// clearTouched(engine): empties the touched list.
napi_value ClearTouched(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 1)) return nullptr;
  Engine* e = blockOf<Engine>(env, args.values[0], kEngineMagic);
  if (e) clearTouched(*e);
  return nullptr;
}

// findNonFiniteDelta(engine, activeCount): index of the first NaN/±Infinity among the gathered deltas, or -1.
napi_value FindNonFiniteDelta(napi_env env, napi_callback_info info) {
  Args args;
  int32_t active = 0;
  if (!readArgs(env, info, args, 2)) return nullptr;
  Engine* e = blockOf<Engine>(env, args.values[0], kEngineMagic);
  if (!e || !readInt(env, args.values[1], active)) return nullptr;
  if (active < 0 || active > e->g.inHeight * e->g.inWidth) return fail(env, "active count out of range");
  return number(env, findNonFinite(e->deltas, static_cast<int64_t>(active) * e->g.inChannels));
}

// setThreads(engine, threads, minSplitWork): 1, or 2 to split steps with a helper thread when they
// have at least `minSplitWork` multiply-adds' worth of work.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args args;
  int32_t threads = 1;
  double minSplitWork = 0;
  if (!readArgs(env, info, args, 3)) return nullptr;
  Engine* e = blockOf<Engine>(env, args.values[0], kEngineMagic);
  if (!e || !readInt(env, args.values[1], threads) || !readDouble(env, args.values[2], minSplitWork)) return nullptr;
  if (threads != 1 && threads != 2) return fail(env, "threads must be 1 or 2");
  if (!(minSplitWork >= 0)) return fail(env, "minSplitWork must be a number >= 0");
  e->threads = threads;
  e->minSplitWork = minSplitWork;
  return nullptr;
}

// convertFrame(data, previous | null, output, tables, channels, changed | null): the changed pixels
// (all, without a previous frame) converted through the per-channel tables; returns their count.
napi_value ConvertFrame(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 6)) return nullptr;
  uint8_t *data = nullptr, *previous = nullptr;
  float *output = nullptr, *tables = nullptr;
  int32_t* changed = nullptr;
  size_t dataLength = 0, previousLength = 0, outputLength = 0, tablesLength = 0, changedLength = 0;
  int32_t channels = 0;
  if (!readTyped(env, args.values[0], napi_uint8_array, data, dataLength) || !readTyped(env, args.values[1], napi_uint8_array, previous, previousLength, true) ||
      !readTyped(env, args.values[2], napi_float32_array, output, outputLength) || !readTyped(env, args.values[3], napi_float32_array, tables, tablesLength) ||
      !readInt(env, args.values[4], channels) || !readTyped(env, args.values[5], napi_int32_array, changed, changedLength, true)) {
    return nullptr;
  }
  if (channels < 1 || channels > 4 || dataLength % channels != 0) return fail(env, "channels must be 1 to 4 and divide the frame's bytes");
  const size_t pixels = dataLength / channels;
  if (outputLength != dataLength || (previous && previousLength != dataLength)) return fail(env, "frame, previous frame and output must have one value per byte");
  if (tablesLength < static_cast<size_t>(channels) * 256) return fail(env, "tables must hold 256 values per channel");
  if (changed && changedLength < pixels) return fail(env, "the changed-pixel list must have room for every pixel");
  return number(env, convertChangedPixels(data, previous, output, tables, channels, static_cast<int64_t>(pixels), changed));
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"instructionSets", nullptr, InstructionSets, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"prepareWeights", nullptr, PrepareWeights, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"createEngine", nullptr, CreateEngine, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"recompute", nullptr, Recompute, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"detect", nullptr, Detect, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sparseUpdate", nullptr, SparseUpdate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"clearTouched", nullptr, ClearTouched, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"findNonFiniteDelta", nullptr, FindNonFiniteDelta, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"convertFrame", nullptr, ConvertFrame, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return nullptr;
  return exports;
}

}  // namespace
}  // namespace rrm

NAPI_MODULE_INIT() { return rrm::Init(env, exports); }
