// Runtime CPU dispatch: which kernel tables this build holds and this CPU can run.
#pragma once
#include <vector>

#include "kernels.h"

namespace rrm {

/** The tables this CPU supports, fastest first (the portable one always last). */
const std::vector<const KernelTable*>& supportedKernelTables();
/** The supported table called `name`, or null. */
const KernelTable* kernelTableNamed(const char* name);

}  // namespace rrm
