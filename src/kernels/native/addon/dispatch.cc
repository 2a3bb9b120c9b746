#include "dispatch.h"

#include <cstring>

namespace rrm {

const std::vector<const KernelTable*>& supportedKernelTables() {
  static const std::vector<const KernelTable*> tables = [] {
    std::vector<const KernelTable*> found;
#if defined(RRM_HAS_X86_KERNELS)
    // libgcc's checks include the operating system's support for the wider registers (XCR0).
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) found.push_back(avx512::kernelTable());
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) found.push_back(avx2::kernelTable());
#endif
    found.push_back(portable::kernelTable());
    return found;
  }();
  return tables;
}

const KernelTable* kernelTableNamed(const char* name) {
  for (const KernelTable* table : supportedKernelTables()) {
    if (std::strcmp(table->name, name) == 0) return table;
  }
  return nullptr;
}

}  // namespace rrm
