// What the kernel shows of a process: its file-backed executable mappings
// (/proc/PID/maps).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dtrace::kernel {

struct ProcessMapping {
    uint64_t start = 0, end = 0, offset = 0;
    uint64_t device = 0, inode = 0; // the file's, as stat() gives them
    std::string path;
};

// The executable, file-backed mappings of a process (empty if it is gone).
std::vector<ProcessMapping> executableMappings(int pid);
// Every file-backed mapping, or the executable ones only.
std::vector<ProcessMapping> fileMappings(int pid, bool executableOnly);

} // namespace dtrace::kernel
