#include "kernel/cpus.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace dtrace::kernel {

// The topology sysfs reports: the package (chip) and NUMA node (lgrp) of
// each possible CPU; Linux has no processor sets (pset -1).
std::vector<program::CpuInfo> cpuTopology() {
    int n = std::max(libbpf_num_possible_cpus(), 1);
    std::vector<program::CpuInfo> out;
    for (int cpu = 0; cpu < n; ++cpu) {
        std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu);
        int32_t chip = 0, lgrp = 0, pset = -1;
        if (std::FILE *fp = std::fopen((dir + "/topology/physical_package_id").c_str(), "r")) {
            if (std::fscanf(fp, "%d", &chip) != 1) chip = 0;
            std::fclose(fp);
        }
        std::error_code ec;
        for (const auto &e : std::filesystem::directory_iterator(dir, ec)) {
            std::string name = e.path().filename().string();
            if (name.size() > 4 && name.compare(0, 4, "node") == 0 &&
                std::isdigit(static_cast<unsigned char>(name[4])))
                lgrp = std::atoi(name.c_str() + 4);
        }
        out.push_back({cpu, pset, chip, lgrp, 0});
    }
    return out;
}

} // namespace dtrace::kernel
