#include "kernel/processes.h"

#include <sys/sysmacros.h>

#include <cstdio>

namespace dtrace::kernel {

std::vector<ProcessMapping> executableMappings(int pid) {
    return fileMappings(pid, true);
}

std::vector<ProcessMapping> fileMappings(int pid, bool executableOnly) {
    std::vector<ProcessMapping> maps;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = std::fopen(path, "r");
    if (!f) return maps;
    char line[4096];
    while (std::fgets(line, sizeof line, f)) {
        unsigned long long start, end, offset, inode;
        unsigned major, minor;
        char perms[8], file[4096] = {0};
        int n = std::sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, perms,
                            &offset, &major, &minor, &inode, file);
        if (n < 8 || (executableOnly && perms[2] != 'x') || file[0] != '/') continue;
        maps.push_back({start, end, offset, makedev(major, minor), inode, file});
    }
    std::fclose(f);
    return maps;
}

} // namespace dtrace::kernel
