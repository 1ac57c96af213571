// The CPUs as D's cpuinfo_t describes them (curcpu, chip, lgrp).
#pragma once

#include "program/abi.h"

#include <vector>

namespace dtrace::kernel {

// Every possible CPU's, by CPU number.
std::vector<program::CpuInfo> cpuTopology();

} // namespace dtrace::kernel
