#include "providers/unavailable.h"

#include <array>
#include <utility>

namespace dtrace::providers {

namespace {

// Providers of Solaris DTrace (Dynamic Tracing Guide) with no Linux
// equivalent a BPF program could attach to.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kSolarisOnly{{
    {"fsinfo", "it reports Solaris VFS operations, which Linux's VFS has no probes for"},
    {"sysinfo", "it counts Solaris kernel statistics (sysinfo kstats), which Linux lacks"},
    {"vminfo", "it counts Solaris virtual memory statistics (vminfo kstats), which Linux lacks"},
    {"mib", "it counts Solaris SNMP MIB counters, which Linux keeps without probes"},
    {"fpuinfo", "it reports SPARC floating-point emulation"},
    {"plockstat", "it needs the Solaris user-level lock library's probes"},
    {"xpv", "it reports the Solaris Xen hypervisor interface"},
    {"iscsi", "it needs the Solaris iSCSI target's probes"},
    {"nfsv3", "it needs the Solaris NFS server's probes"},
    {"nfsv4", "it needs the Solaris NFS server's probes"},
    {"srp", "it needs the Solaris SCSI RDMA target's probes"},
    {"smb", "it needs the Solaris SMB server's probes"},
    {"cpc", "hardware performance counter probes are not supported by this dtrace"},
}};

} // namespace

std::string missingProviderReason(std::string_view provider) {
    for (const auto &[name, why] : kSolarisOnly)
        if (name == provider)
            return "the " + std::string(name) +
                   " provider is not available on Linux: " + std::string(why);
    return {};
}

} // namespace dtrace::providers
